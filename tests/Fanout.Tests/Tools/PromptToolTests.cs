using System.Text.Json;
using Fanout.Execution.Tools;
using Fanout.Providers;
using Fanout.Simulator;
using Fanout.Tests.Plans;
using Fanout.Tests.Simulator;
using Fanout.Tests.Support;
using Microsoft.Extensions.AI;

namespace Fanout.Tests.Tools;

/// <summary>Prompt tasks with <c>tools:</c> against the simulator's HTTP server, through the official SDKs on both
/// protocols; the tools are real processes working on real files in a temporary directory.</summary>
public sealed class PromptToolTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fanout-prompt-tools-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string> Protocols => new() { "openai", "anthropic" };

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task Two_rounds_of_parallel_tool_calls_are_run_fed_back_and_end_in_the_final_answer(string protocol)
    {
        File.WriteAllText(Path.Combine(_dir, "a.txt"), "alpha");
        File.WriteAllText(Path.Combine(_dir, "b.txt"), "beta");
        await using var server = await SimulatorFixture.Start();
        var script = """[[{"tool":"read","arguments":{"path":"a.txt"}},{"tool":"read","arguments":{"path":"b.txt"}}], [{"tool":"write","arguments":{"path":"c.txt","text":"gamma"}},{"tool":"write","arguments":{"path":"d.txt","text":"delta"}}], "All done."]""";

        var (report, requests) = await Run(server, protocol, script, "continue", maxRounds: 2);

        var row = report.Row("edit");
        Assert.Equal(TaskState.Succeeded, row.Status);
        Assert.Equal("All done.", row.Output!.Value.GetString());
        Assert.Equal("gamma", File.ReadAllText(Path.Combine(_dir, "c.txt")));
        Assert.Equal("delta", File.ReadAllText(Path.Combine(_dir, "d.txt")));
        var calls = Calls(row);
        Assert.Equal([(1, "read", "succeeded"), (1, "read", "succeeded"), (2, "write", "succeeded"), (2, "write", "succeeded")],
            calls.Select(c => (c.GetProperty("round").GetInt32(), c.GetProperty("name").GetString()!, c.GetProperty("status").GetString()!)));
        Assert.Equal(2, row.Details!.Value.GetProperty("tool_rounds").GetInt32());

        // Three requests; the second carries both reads' results, in call order, answering the calls of the first.
        Assert.Equal(3, requests.Count);
        var firstCalls = requests[0].Response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Select(c => c.CallId).ToList();
        var fedBack = requests[1].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().ToList();
        Assert.Equal(firstCalls, fedBack.Select(r => r.CallId));
        Assert.Equal(["alpha", "beta"], fedBack.Select(r => r.Result?.ToString()));
        Assert.Equal(4, requests[2].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Count());

        // Every round's tokens and cost are the task's.
        var input = requests.Sum(r => r.Response.Usage!.InputTokenCount!.Value);
        var output = requests.Sum(r => r.Response.Usage!.OutputTokenCount!.Value);
        Assert.Equal(new TokenTotals(input, output), row.Tokens);
        Assert.Equal((input * 1m + output * 2m) / 1_000_000m, row.CostUsd);
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task A_model_that_keeps_calling_tools_past_max_tool_rounds_fails_the_task_once_with_the_limit_named(string protocol)
    {
        File.WriteAllText(Path.Combine(_dir, "a.txt"), "alpha");
        await using var server = await SimulatorFixture.Start();
        var script = """[[{"tool":"read","arguments":{"path":"a.txt"}}], [{"tool":"read","arguments":{"path":"a.txt"}}], "Never reached."]""";

        var (report, requests) = await Run(server, protocol, script, "continue", maxRounds: 1);

        var row = report.Row("edit");
        Assert.Equal(TaskState.Failed, row.Status);
        Assert.Equal(1, row.Attempts);
        Assert.Equal("the model still called tools after 1 rounds (max_tool_rounds: 1)", row.Error);
        Assert.Equal(2, requests.Count);
        Assert.Equal(new TokenTotals(requests.Sum(r => r.Response.Usage!.InputTokenCount!.Value), requests.Sum(r => r.Response.Usage!.OutputTokenCount!.Value)), row.Tokens);
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task A_failing_tool_sends_its_error_back_to_the_model_and_is_recorded_as_failed(string protocol)
    {
        File.WriteAllText(Path.Combine(_dir, "a.txt"), "alpha");
        await using var server = await SimulatorFixture.Start();
        var script = """[[{"tool":"broken","arguments":{}},{"tool":"read","arguments":{"path":"a.txt"}}], "Recovered."]""";

        var (report, requests) = await Run(server, protocol, script, "continue", maxRounds: 2);

        var row = report.Row("edit");
        Assert.Equal(TaskState.Succeeded, row.Status);
        Assert.Equal("Recovered.", row.Output!.Value.GetString());
        var calls = Calls(row);
        Assert.Equal(["failed", "succeeded"], calls.Select(c => c.GetProperty("status").GetString()));
        Assert.Equal("'sh' exited with code 3: disk on fire", calls[0].GetProperty("error").GetString());
        var fedBack = requests[1].Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().ToList();
        Assert.Equal(["error: 'sh' exited with code 3: disk on fire", "alpha"], fedBack.Select(r => r.Result?.ToString()));
    }

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task When_a_rollback_run_fails_the_tool_calls_are_undone_latest_finished_first(string protocol)
    {
        await using var server = await SimulatorFixture.Start();
        // Round 2's two writes of one file conflict, so they run (and finish) in call order.
        var script = """[[{"tool":"write","arguments":{"path":"x.txt","text":"one"}}], [{"tool":"write","arguments":{"path":"y.txt","text":"two"}},{"tool":"write","arguments":{"path":"y.txt","text":"three"}}], [{"tool":"read","arguments":{"path":"x.txt"}}], "Never reached."]""";

        var (report, _) = await Run(server, protocol, script, "rollback", maxRounds: 2);

        var row = report.Row("edit");
        Assert.Equal(RunStatus.Failed, report.Status);
        Assert.Equal(TaskState.Failed, row.Status);
        Assert.Equal(["y.txt three", "y.txt two", "x.txt one"], File.ReadAllLines(Path.Combine(_dir, "undo.log")));
        Assert.False(File.Exists(Path.Combine(_dir, "x.txt")));
        Assert.False(File.Exists(Path.Combine(_dir, "y.txt")));
        Assert.StartsWith("the model still called tools after 2 rounds (max_tool_rounds: 2); undone, latest first: write (", row.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_rollback_a_failed_attempt_leaves_its_tool_calls_as_they_are()
    {
        await using var server = await SimulatorFixture.Start();
        var script = """[[{"tool":"write","arguments":{"path":"x.txt","text":"one"}}], [{"tool":"read","arguments":{"path":"x.txt"}}], "Never reached."]""";

        var (report, _) = await Run(server, "openai", script, "continue", maxRounds: 1);

        Assert.Equal(TaskState.Failed, report.Row("edit").Status);
        Assert.Equal("one", File.ReadAllText(Path.Combine(_dir, "x.txt")));
        Assert.False(File.Exists(Path.Combine(_dir, "undo.log")));
    }

    [Fact]
    public void A_tool_without_argv_is_a_plan_error_at_its_line()
    {
        var e = Assert.Throws<PlanException>(() => Load.Yaml("""
            name: t
            tasks:
              - id: p
                prompt: hi
                tools:
                  - name: read
            """));
        Assert.Contains("plan.yaml:6:", e.Message, StringComparison.Ordinal);
        Assert.Contains("tool 'read' needs a non-empty 'argv'", e.Message, StringComparison.Ordinal);
    }

    private static List<JsonElement> Calls(TaskReport row) => [.. row.Details!.Value.GetProperty("tool_calls").EnumerateArray()];

    private async Task<(RunReport Report, List<Recorded> Requests)> Run(SimulatorServer server, string protocol, string script, string onFailure, int maxRounds)
    {
        var (model, baseUrl) = protocol == "openai"
            ? ("gpt-4o-mini", new Uri(server.Address, "v1").ToString())
            : ("claude-haiku-4-5", server.Address.ToString().TrimEnd('/'));
        var plan = Load.Yaml($$$"""
            name: tools
            on_failure: {{{onFailure}}}
            providers:
              llm: { type: {{{protocol}}}, api_key: "${KEY}", base_url: "{{{baseUrl}}}", model: {{{model}}}, pricing: { {{{model}}}: { input: 1, output: 2 } } }
            tasks:
              - id: edit
                system: 'sim-script: {{{script}}}'
                prompt: Tidy the notes.
                max_tool_rounds: {{{maxRounds}}}
                tools:
                  - name: read
                    description: Reads a file.
                    parameters: { type: object, properties: { path: { type: string } }, required: [path] }
                    argv: [cat, "{{args.path}}"]
                    reads: "{{args.path}}"
                  - name: write
                    description: Writes a file.
                    parameters: { type: object, properties: { path: { type: string }, text: { type: string } }, required: [path, text] }
                    argv: [sh, -c, 'printf %s "$2" > "$1"', sh, "{{args.path}}", "{{args.text}}"]
                    writes: "{{args.path}}"
                    compensate: [sh, -c, 'rm -f "$1"; echo "$1 $2" >> undo.log', sh, "{{args.path}}", "{{args.text}}"]
                  - name: broken
                    argv: [sh, -c, 'echo disk on fire >&2; exit 3']
                    reads: disk
            """, _dir);
        using var providers = ProviderSetup.Create(plan, new ProviderOptions { GetEnvironmentVariable = _ => SimulatorFixture.Key });
        var recorder = new Recorder(providers);
        var report = await new Scheduler(TaskGraph.Compile(plan), new RunOptions
        {
            RunId = "tools",
            Executors = ExecutorRegistry.CreateDefault().With(new PromptExecutor(recorder, PlanTools.Create)),
        }).RunAsync();
        return (report, recorder.Requests);
    }

    /// <summary>One request as sent (a copy of its messages) and the response it got.</summary>
    private sealed record Recorded(List<ChatMessage> Messages, ChatResponse Response);

    /// <summary>Resolves through the providers and records every request and response on the way.</summary>
    private sealed class Recorder(IChatClientResolver inner) : IChatClientResolver
    {
        public List<Recorded> Requests { get; } = [];

        public ChatTarget Resolve(string? provider, string? model)
        {
            var target = inner.Resolve(provider, model);
            return target with { Client = new Recording(target.Client, Requests) };
        }

        private sealed class Recording(IChatClient client, List<Recorded> requests) : DelegatingChatClient(client)
        {
            public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
            {
                var sent = messages.ToList();
                var response = await base.GetResponseAsync(sent, options, cancellationToken);
                lock (requests)
                {
                    requests.Add(new Recorded(sent, response));
                }

                return response;
            }
        }
    }
}
