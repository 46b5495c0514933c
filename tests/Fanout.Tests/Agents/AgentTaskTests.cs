using System.Text.Json;
using Fanout.Plans;
using Fanout.Providers;
using Fanout.Providers.Workers;
using Fanout.Tests.Support;

namespace Fanout.Tests.Agents;

public sealed class AgentTaskTests
{
    private static PlanDefinition Parse(string yaml) => PlanLoader.Parse(yaml, "plan.yaml", Path.GetTempPath());

    private static PlanException Invalid(string yaml) => Assert.Throws<PlanException>(() => Parse(yaml));

    private static ProviderOptions NoAgentsInstalled => new() { GetEnvironmentVariable = name => name == "PATH" ? "/nonexistent" : null };

    private static ProviderOptions Simulated => NoAgentsInstalled with { SimulateAll = true };

    [Fact]
    public void Worker_field_makes_an_agent_task_with_its_prompt()
    {
        var plan = Parse("""
            name: p
            tasks:
              - id: api
                worker: codex
                prompt: "Build the API"
                output: json
                env: { MODE: fast }
            """);

        var body = Assert.IsType<AgentBody>(plan.Tasks[0].Body);
        Assert.Equal(("codex", "Build the API", OutputFormat.Json, "fast"), (body.Worker, body.Prompt, body.Output, body.Env["MODE"]));
        Assert.Equal("agent", plan.Tasks[0].Kind);
    }

    [Fact]
    public void Unknown_worker_is_reported_at_its_line_with_a_suggestion()
    {
        var e = Invalid("""
            name: p
            tasks:
              - id: api
                worker: cladue
                prompt: "Build the API"
            """);

        var d = Assert.Single(e.Diagnostics);
        Assert.StartsWith("task 'api' uses unknown worker 'cladue' (did you mean 'claude'?)", d.Message);
        Assert.Equal((4, 13), (d.Location!.Line, d.Location.Column));
    }

    [Fact]
    public void Declared_worker_replaces_the_preset_and_must_be_a_fixed_command()
    {
        var plan = Parse("""
            name: p
            workers:
              claude: [claude, -p, --output-format, text]
              aider: [aider, --message]
            tasks:
              - { id: a, worker: aider, prompt: x }
            """);
        var task = (AgentBody)plan.Tasks[0].Body with { Prompt = "PROMPT" };
        Assert.Equal("claude -p --output-format text PROMPT", string.Join(" ", plan.Worker("claude")!.Argv(task)));
        Assert.Equal("aider --message PROMPT", string.Join(" ", plan.Worker("aider")!.Argv(task)));
        Assert.Equal("codex exec --json PROMPT", string.Join(" ", plan.Worker("codex")!.Argv(task)));

        var e = Invalid("""
            name: p
            workers:
              bad: ["{{inputs.tool}}"]
              empty: []
            tasks:
              - { id: a, worker: bad, prompt: x }
            """);
        Assert.Contains(e.Diagnostics, d => d.Message.Contains("'bad' is a fixed command line and must not contain templates", StringComparison.Ordinal));
        Assert.Contains(e.Diagnostics, d => d.Message.Contains("'empty' needs a command", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Installed_worker_runs_its_command_with_the_rendered_prompt_as_one_argument()
    {
        // printf prints its first argument: the prompt arrives whole, quotes and $ included, never parsed by a shell.
        var plan = Parse("""
            name: p
            inputs: { topic: { type: string, default: "a 'quoted' $HOME; rm -rf /" } }
            workers: { printer: [printf, "%s"] }
            tasks:
              - { id: a, worker: printer, prompt: "topic: {{inputs.topic}}" }
            """);
        var workers = WorkerSetup.Create(plan, new ProviderOptions());
        Assert.Empty(workers.Notices);

        var report = await new Scheduler(TaskGraph.Compile(plan), new RunOptions
        {
            Inputs = InputResolver.Resolve(plan, new Dictionary<string, JsonElement>()),
            Executors = ExecutorRegistry.CreateDefault().With(new AgentExecutor(workers)),
        }).RunAsync();

        var row = report.Row("a");
        Assert.True(row.Status == TaskState.Succeeded, row.Error);
        Assert.Equal("topic: a 'quoted' $HOME; rm -rf /", row.Output!.Value.GetString());
    }

    [Fact]
    public void Missing_cli_fails_its_task_with_the_command_that_installs_it()
    {
        var plan = Parse("""
            name: p
            tasks:
              - { id: api, worker: codex, prompt: "Build the API" }
            """);
        var workers = WorkerSetup.Create(plan, NoAgentsInstalled);

        var (report, _) = Sim.Run(plan, configure: o => o with { Executors = ExecutorRegistry.CreateDefault().With(new AgentExecutor(workers)) });

        Assert.Equal(TaskState.Failed, report.Row("api").Status);
        Assert.StartsWith("worker 'codex': 'codex' is not installed (not on PATH); install it with: npm install -g @openai/codex", report.Row("api").Error);
        Assert.Equal(report.Row("api").Error, Assert.Single(workers.Notices));
        Assert.Equal(1, report.Row("api").Attempts);
    }

    [Fact]
    public void Simulated_worker_runs_only_when_asked_and_its_output_fits_the_contract_and_says_it_is_simulated()
    {
        var plan = Parse("""
            name: p
            contracts:
              auth_api:
                producer: api
                consumers: [page]
                schema:
                  type: object
                  required: [base_url, endpoints]
                  properties:
                    base_url: { type: string, format: uri }
                    endpoints: { type: array, items: { type: string }, minItems: 1 }
            tasks:
              - { id: api, worker: codex, prompt: "Build the API", output: json }
              - { id: page, worker: claude, needs: api, prompt: "Use {{tasks.api.output.base_url}}" }
            """);
        var workers = WorkerSetup.Create(plan, Simulated);
        Assert.Equal("worker 'codex': using a simulated worker (--simulate) — synthetic output that fits its contract, marked simulated", workers.Notices[0]);

        var (report, _) = Sim.Run(plan, configure: o => o with { Executors = ExecutorRegistry.CreateDefault().With(new AgentExecutor(workers)) });

        Assert.Equal(RunStatus.Succeeded, report.Status);
        var output = report.Row("api").Output!.Value;
        Assert.True(CompiledSchema.Compile(plan.Contracts[0].Schema).IsValid(output), output.GetRawText());
        Assert.True(output.GetProperty("simulated").GetBoolean());
        Assert.Contains("[simulated claude] page", report.Row("page").Output!.Value.GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Simulated_worker_still_reports_template_errors_like_the_real_one()
    {
        var plan = Parse("""
            name: p
            tasks:
              - { id: a, worker: gemini, prompt: "x" }
              - { id: b, worker: gemini, needs: a, prompt: "{{tasks.a.output.missing.deeper}}" }
            """);
        var workers = WorkerSetup.Create(plan, Simulated);

        var (report, _) = Sim.Run(plan, configure: o => o with { Executors = ExecutorRegistry.CreateDefault().With(new AgentExecutor(workers)) });

        Assert.Equal(TaskState.Failed, report.Row("b").Status);
        Assert.Contains("tasks.a.output.missing", report.Row("b").Error, StringComparison.Ordinal);
    }
}
