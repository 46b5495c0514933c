using System.Text.Json;
using Fanout.Tests.Plans;

namespace Fanout.Tests.Cli;

/// <summary>examples/tool-batch, run from a copy of its folder: parallel, sequential, verified, rolled back, traced.</summary>
public sealed class ToolBatchExampleTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public ToolBatchExampleTests()
    {
        var example = Path.Combine(Fixtures.RepoRoot, "examples", "tool-batch");
        foreach (var file in Directory.EnumerateFiles(example, "*", SearchOption.AllDirectories))
        {
            var target = _cli.FilePath(Path.GetRelativePath(example, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    public void Dispose() => _cli.Dispose();

    private RunReport Report(string dir) => RunReport.FromJson(File.ReadAllText(_cli.FilePath(Path.Combine(dir, "run.json"))));

    [Fact]
    public async Task The_example_runs_in_parallel_with_its_inferred_edges_in_the_report()
    {
        var result = await _cli.RunAsync("run", "plan.yaml", "--store", "memory", "--plain", "--out", "run");

        Assert.True(result.ExitCode == 0, result.ToString());
        var report = Report("run");
        Assert.Contains(report.InferredEdges, e => (e.From, e.To) == ("read_usage", "fix_usage"));
        Assert.Contains(report.InferredEdges, e => (e.From, e.To) == ("prepare", "write_todos"));
        Assert.True(report.PeakConcurrency > 1);
        Assert.Contains("DONE: document the --port option.", File.ReadAllText(_cli.FilePath("docs/usage.md")));
    }

    [Fact]
    public async Task Sequential_runs_one_task_at_a_time()
    {
        var result = await _cli.RunAsync("run", "plan.yaml", "--sequential", "--store", "memory", "--plain", "--out", "run");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(1, Report("run").PeakConcurrency);
    }

    [Fact]
    public async Task Verify_sequential_finds_the_same_outputs_and_files()
    {
        var result = await _cli.RunAsync("run", "plan.yaml", "--verify-sequential");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("same results: ", result.Out);
        Assert.Contains("4 files written are identical", result.Out);
        // The user's folder is left as it was: both runs happened in scratch copies.
        Assert.False(Directory.Exists(_cli.FilePath("out")));
    }

    [Fact]
    public async Task Verify_sequential_fails_with_the_difference_when_a_task_is_not_deterministic()
    {
        var plan = _cli.Plan("""
            name: clock
            tasks:
              - { id: now, argv: [date, "+%s%N"], writes: stamp.txt }
            """, "clock.yaml");

        var result = await _cli.RunAsync("run", plan, "--verify-sequential");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("the parallel and the sequential run differ (1):", result.Out);
        Assert.Contains("task 'now' output: parallel", result.Out);
    }

    [Fact]
    public async Task A_failing_publish_rolls_back_the_writes_latest_first()
    {
        var result = await _cli.RunAsync("run", "plan.yaml", "--input", "fail=yes", "--store", "memory", "--plain", "--out", "run");

        Assert.True(result.ExitCode == 1, result.ToString());
        var undone = Report("run").Compensations;
        Assert.Equal(["fix_usage", "write_links", "write_todos"], undone.Select(c => c.Task).Order(StringComparer.Ordinal));
        Assert.All(undone, c => Assert.Equal(TaskState.Succeeded, c.Status));
        Assert.Equal(undone.OrderByDescending(c => Report("run").Tasks.Single(t => t.Id == c.Task).FinishedAt).Select(c => c.Task), undone.Select(c => c.Task));
        Assert.False(File.Exists(_cli.FilePath("out/todos.txt")));
        Assert.Contains("TODO: document the --port option.", File.ReadAllText(_cli.FilePath("docs/usage.md")));
    }

    [Fact]
    public async Task Sequential_with_a_concurrency_is_a_usage_error()
    {
        var result = await _cli.RunAsync("run", "plan.yaml", "--sequential", "--concurrency", "4");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--sequential runs at concurrency 1", result.Error);
    }

    [Fact]
    public async Task Trace_writes_one_line_per_footprinted_task()
    {
        var result = await _cli.RunAsync("run", "plan.yaml", "--store", "memory", "--plain", "--out", "run", "--trace", "trace.jsonl");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = File.ReadAllLines(_cli.FilePath("trace.jsonl"));
        Assert.Equal(12, lines.Length);
        using var first = JsonDocument.Parse(lines.Single(l => l.Contains("\"grep_todo\"", StringComparison.Ordinal)));
        Assert.Equal("process", first.RootElement.GetProperty("tool").GetString());
        Assert.Equal("docs/*.md", first.RootElement.GetProperty("reads")[0].GetString());
    }
}
