using System.Text.Json;
using Fanout.Cli.Planning;
using Fanout.Providers.Simulation;
using Fanout.Time;

namespace Fanout.Tests.Cli;

public sealed class PlanCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static string Task(string id, string worker, params int[] dependsOn) =>
        JsonSerializer.Serialize(new { id, worker, description = $"Do {id}", expected_output = $"{id} done", depends_on = dependsOn });

    private string Answer(params string[] tasks) =>
        _cli.Plan($$"""{"tasks": [{{string.Join(",", tasks)}}], "completion_criteria": ["it works"]}""", "answer.json");

    [Fact]
    public async Task Default_simulator_writes_a_plan_that_validate_accepts()
    {
        var clock = new VirtualClock();
        _cli.Time = clock;
        var result = VirtualTime.Run(clock, () => _cli.RunAsync("plan", "Build a login page with an auth API", "-o", "plan.yaml"));

        Assert.True(result.ExitCode == 0, result.ToString());
        var yaml = File.ReadAllText(_cli.FilePath("plan.yaml"));
        Assert.Contains("pools: { agents:", yaml);
        Assert.Matches(@"kind: agent\n    worker: (claude|codex|gemini)\n", yaml.ReplaceLineEndings("\n"));
        var validate = await _cli.RunAsync("validate", _cli.FilePath("plan.yaml"));
        Assert.True(validate.ExitCode == 0, validate.ToString());
    }

    [Theory]
    [InlineData("Build a login page with an auth API")]
    [InlineData("Port the billing service to Rust and document it")]
    [InlineData("Add dark mode to the dashboard")]
    public void Plan_generated_on_the_simulator_runs_to_success_with_simulated_workers(string goal)
    {
        // No agent CLI on PATH: the workers are stood in for, and contract producers answer with JSON that fits.
        var clock = new VirtualClock(new DateTimeOffset(2026, 11, 22, 0, 0, 0, TimeSpan.Zero));
        _cli.Time = clock;
        var planned = VirtualTime.Run(clock, () => _cli.RunAsync("plan", goal, "-o", "plan.yaml"));
        Assert.True(planned.ExitCode == 0, planned.ToString());

        var run = VirtualTime.Run(clock, () => _cli.RunAsync("run", _cli.FilePath("plan.yaml"), "--json", "--simulate"));

        Assert.True(run.ExitCode == 0, run + "\n--- plan\n" + File.ReadAllText(_cli.FilePath("plan.yaml")));
        Assert.Contains("using a simulated worker", run.Error);
        using var report = JsonDocument.Parse(run.Out);
        var tasks = report.RootElement.GetProperty("tasks").EnumerateArray().ToList();
        Assert.NotEmpty(tasks);
        Assert.All(tasks, t => Assert.Equal("succeeded", t.GetProperty("status").GetString()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    public void Any_answer_sampled_from_the_schema_converts_to_a_valid_plan(int seed)
    {
        string[] workers = ["claude", "codex", "gemini"];
        var answer = SchemaSampler.Sample(PlannerSchema.Build(workers), new Random(seed))!.ToJsonString();

        var yaml = PlanConverter.Convert("Build a login page", answer, workers, new Dictionary<string, string[]>(), out var reasons);

        Assert.True(yaml is not null, string.Join("\n", reasons) + "\n" + answer);
    }

    [Fact]
    public async Task Generated_plan_runs_with_workers_mapped_to_echo()
    {
        var answer = Answer(Task("api", "codex"), Task("page", "claude", 1), Task("review", "gemini", 1, 2));

        var plan = await _cli.RunAsync("plan", "Build a login page", "--answer", answer, "-o", "plan.yaml",
            "--worker-command", "claude=echo", "--worker-command", "codex=echo", "--worker-command", "gemini=echo");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        var yaml = File.ReadAllText(_cli.FilePath("plan.yaml"));
        Assert.Contains("needs: [api, page]", yaml);
        Assert.Contains("{{tasks.page.output}}", yaml);

        _cli.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        var run = await _cli.RunAsync("run", _cli.FilePath("plan.yaml"));

        Assert.True(run.ExitCode == 0, run.ToString());
    }

    [Fact]
    public void Rejected_answer_goes_back_to_the_model_with_the_reasons_and_the_repair_is_written()
    {
        // The simulated orchestrator breaks its first answer's schema once; the second answer conforms.
        var config = _cli.Plan("""
            providers:
              sim: { type: simulated, script: [{ fault: schema_violation, times: 1 }] }
            """, "providers.yaml");
        var clock = new VirtualClock();
        _cli.Time = clock;

        var result = VirtualTime.Run(clock, () => _cli.RunAsync("plan", "Build a login page", "--config", config, "-o", "plan.yaml"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"notice: the orchestrator's plan was rejected \(.+\); asking it to repair the plan \(1 of 2\)", result.Error);
        Assert.True(File.Exists(_cli.FilePath("plan.yaml")));
    }

    [Fact]
    public void Answer_still_rejected_after_the_repairs_exits_2_with_the_last_reasons()
    {
        var config = _cli.Plan("""
            providers:
              sim: { type: simulated, script: [{ fault: schema_violation, times: 5 }] }
            """, "providers.yaml");
        var clock = new VirtualClock();
        _cli.Time = clock;

        var result = VirtualTime.Run(clock, () => _cli.RunAsync("plan", "Goal", "--config", config, "--repairs", "1", "-o", "plan.yaml"));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(result.Error, "asking it to repair"));
        Assert.Contains("rejected: ", result.Error);
        Assert.False(File.Exists(_cli.FilePath("plan.yaml")));
    }

    [Fact]
    public async Task Answer_with_a_cycle_is_rejected_with_the_cycle_and_nothing_is_written()
    {
        var answer = Answer(Task("a", "claude", 2), Task("b", "codex", 1));

        var result = await _cli.RunAsync("plan", "Goal", "--answer", answer, "-o", "plan.yaml");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Matches(@"rejected: dependency cycle: (a → b → a|b → a → b)", result.Error);
        Assert.False(File.Exists(_cli.FilePath("plan.yaml")));
    }

    [Fact]
    public async Task Answer_with_an_unknown_worker_is_rejected_naming_it()
    {
        var answer = Answer(Task("t1", "claude"), Task("t2", "codex"), Task("t3", "copilot", 1));

        var result = await _cli.RunAsync("plan", "Goal", "--answer", answer);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("rejected: task 't3' uses unknown worker 'copilot' (workers: claude, codex, gemini)", result.Error);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task Answer_with_a_missing_dependency_is_rejected()
    {
        var answer = Answer(Task("t1", "claude", 5));

        var result = await _cli.RunAsync("plan", "Goal", "--answer", answer);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("rejected: task 't1' depends on task 5, which does not exist (the plan has 1 tasks)", result.Error);
    }

    [Fact]
    public async Task Contract_consumers_are_the_tasks_that_depend_on_the_producer()
    {
        var answer = _cli.Plan("""
            {"tasks": [
              {"id": "api", "worker": "codex", "description": "API", "expected_output": "spec", "depends_on": [],
               "contract": {"name": "auth_api", "fields": [{"name": "token", "type": "string"}]}},
              {"id": "page", "worker": "claude", "description": "page", "expected_output": "html", "depends_on": [1]}],
             "completion_criteria": ["login works"]}
            """, "answer.json");

        var result = await _cli.RunAsync("plan", "Login", "--answer", answer);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("auth_api:\n    producer: api\n    consumers: [page]", result.Out.ReplaceLineEndings("\n"));
        Assert.Contains("#   - login works", result.Out);
    }

    [Fact]
    public async Task Help_lists_the_plan_command()
    {
        var result = await _cli.RunAsync("--help");

        Assert.Contains("plan", result.Out);
        Assert.Contains("orchestrator", result.Out);
    }
}
