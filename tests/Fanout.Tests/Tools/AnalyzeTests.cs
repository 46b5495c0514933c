using System.Text.Json;
using Fanout.Tests.Cli;
using Fanout.Tests.Plans;
using Fanout.Tools.Analysis;

namespace Fanout.Tests.Tools;

/// <summary><c>fanout analyze</c> finds the batches a person would in a sequential session, with the saving.</summary>
public sealed class AnalyzeTests : IDisposable
{
    private static readonly string Traces = Path.Combine(Fixtures.RepoRoot, "tests", "Fanout.Tests", "Tools", "Traces");
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static TraceAnalysis Analyze(string file) => TraceAnalysis.Of(TraceReader.Read(File.ReadLines(Path.Combine(Traces, file))));

    private static string Stamp(double at) => new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(at).ToString("O");

    private static string ToolUse(int i, string name, string input, double at) => JsonSerializer.Serialize(new
    {
        type = "assistant",
        cwd = "/w",
        timestamp = Stamp(at),
        message = new { role = "assistant", content = new object[] { new { type = "tool_use", id = $"t{i}", name, input = JsonDocument.Parse(input).RootElement } } },
    });

    private static string ToolResult(int i, double at) => JsonSerializer.Serialize(new
    {
        type = "user",
        cwd = "/w",
        timestamp = Stamp(at),
        message = new { role = "user", content = new object[] { new { type = "tool_result", tool_use_id = $"t{i}", content = "ok" } } },
    });

    private static TraceAnalysis Session(params (string Name, string Input)[] calls) =>
        TraceAnalysis.Of(TraceReader.Read(calls.SelectMany((c, i) => new[] { ToolUse(i, c.Name, c.Input, i * 2), ToolResult(i, i * 2 + 1) })));

    [Fact]
    public void A_Claude_Code_session_batches_its_reads_and_then_its_edits()
    {
        var analysis = Analyze("claude-code-session.jsonl");

        Assert.Equal(13, analysis.Calls.Length);
        Assert.Equal([[0, 1, 2, 3, 4], [5, 6, 7, 8], [9], [10], [11], [12]], analysis.Batches.Select(b => b.Calls.ToArray()));
        Assert.StartsWith("write-after-read: 'Edit /home/dev/shop/src/Orders/OrderController.cs' writes", analysis.Batches[0].EndedBy);
    }

    [Fact]
    public void A_session_recorded_from_Claude_Code_driving_the_simulator_batches_its_reads_then_its_edits_then_the_check()
    {
        // Claude Code 2.1.332 (-p, acceptEdits) against `fanout simulate`, whose sim-script made it look around with
        // find/Read/grep, edit two files, rewrite the docs and list the result, one call per turn: its own transcript.
        var analysis = Analyze("claude-code-2.1-simulator.jsonl");

        Assert.Equal(
            ["Bash", "Read", "Read", "Read", "Bash", "Read", "Edit", "Edit", "Write", "Bash"],
            analysis.Calls.Select(c => c.Tool));
        Assert.Equal([[0, 1, 2, 3, 4, 5], [6, 7, 8], [9]], analysis.Batches.Select(b => b.Calls.ToArray()));
        Assert.True(analysis.SavedMs > 0 && analysis.BatchedMs < analysis.SequentialMs, $"{analysis.BatchedMs} of {analysis.SequentialMs} ms");
    }

    [Fact]
    public void The_projected_saving_is_the_recorded_time_less_each_batch_s_longest_call()
    {
        var analysis = Analyze("claude-code-session.jsonl");

        Assert.Equal(18_400, analysis.SequentialMs, 3);
        Assert.Equal(16_500, analysis.BatchedMs, 3);
        Assert.Equal(1_900, analysis.SavedMs, 3);
    }

    [Fact]
    public void An_unknown_tool_serialises_with_every_call_and_says_why()
    {
        var analysis = Session(("Read", """{"file_path":"/w/a.txt"}"""), ("mcp__jira__get_issue", """{"key":"SHOP-1"}"""), ("Read", """{"file_path":"/w/b.txt"}"""));

        Assert.Equal(3, analysis.Batches.Length);
        var unknown = Assert.Single(analysis.Unknown);
        Assert.Equal("unknown tool: conflicts with everything", unknown.Inference);
    }

    [Fact]
    public void A_read_only_shell_command_runs_beside_reads_but_a_redirect_makes_it_a_write()
    {
        Assert.Single(Session(("Read", """{"file_path":"a.txt"}"""), ("Bash", """{"command":"git status --short"}"""), ("Read", """{"file_path":"b.txt"}""")).Batches);
        Assert.Equal(3, Session(("Read", """{"file_path":"a.txt"}"""), ("Bash", """{"command":"ls > files.txt"}"""), ("Read", """{"file_path":"b.txt"}""")).Batches.Length);
    }

    [Fact]
    public void Fanout_s_own_trace_uses_the_footprints_it_recorded()
    {
        var analysis = Analyze("fanout-trace.jsonl");

        Assert.All(analysis.Calls, c => Assert.Equal("recorded", c.Inference));
        Assert.True(analysis.Batches.Length < analysis.Calls.Length);
        Assert.True(analysis.SavedMs > 0);
    }

    [Fact]
    public async Task The_command_prints_the_batches_and_the_projected_saving()
    {
        var result = await _cli.RunAsync("analyze", Path.Combine(Traces, "claude-code-session.jsonl"));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("13 tool calls in 6 batches", result.Out);
        Assert.Contains("batch 1 (5 calls, 500ms): could have run together", result.Out);
        Assert.Contains("projected saving 1.9s (10.3%)", result.Out);
        Assert.Contains("1 call conflicts with everything, so nothing runs beside them: #10 Bash (shell command: may read and write anything)", result.Out);
    }

    [Fact]
    public async Task The_command_writes_json_and_an_html_view()
    {
        var result = await _cli.RunAsync("analyze", Path.Combine(Traces, "claude-code-session.jsonl"), "--json", "--html", "analysis.html");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Out);
        Assert.Equal(6, json.RootElement.GetProperty("batches").GetArrayLength());
        Assert.Contains("projected saving", File.ReadAllText(_cli.FilePath("analysis.html")));
    }

    [Fact]
    public async Task A_trace_that_is_not_json_lines_is_an_input_error()
    {
        File.WriteAllText(_cli.FilePath("bad.jsonl"), "{\"tool\": \"read\"}\nnot json\n");

        var result = await _cli.RunAsync("analyze", "bad.jsonl");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("bad.jsonl: error: line 2: not JSON", result.Error);
    }
}
