using Fanout.Tests.Cli;

namespace Fanout.Tests.Budget;

/// <summary><c>fanout run --budget-usd</c> and a plan's <c>budget_usd</c> through the command line.</summary>
public sealed class BudgetCliTests : IDisposable
{
    // Three images one after another: each low 1024x1024 gpt-image-1 image costs about $0.011.
    internal const string Images = """
        name: budgeted
        budget_usd: 1
        concurrency: 1
        providers:
          sim:
            type: simulated
            models: { "*": { latency: 5ms } }
        tasks:
          - { id: first, kind: image, prompt: a cat, quality: low }
          - { id: second, kind: image, prompt: a dog, quality: low }
          - { id: third, kind: image, prompt: a cow, quality: low }
        """;

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Budget_option_stops_the_run_exits_1_and_says_so()
    {
        var plan = _cli.Plan(Images);

        var result = await _cli.RunAsync("run", plan, "--out", "out", "--plain", "--budget-usd", "0.01");

        Assert.True(result.ExitCode == 1, result.ToString());
        var report = RunReport.FromJson(File.ReadAllText(_cli.FilePath("out/run.json")));
        Assert.Equal(RunStatus.BudgetExhausted, report.Status);
        Assert.Equal(0.01m, report.BudgetUsd);
        Assert.Equal(1, report.Tasks.Count(t => t.Status == TaskState.Succeeded));
        Assert.Contains("budget_exhausted", result.Out);
        Assert.Contains("budget exhausted: tasks not started were cancelled", result.Out);
        Assert.Contains("cancelled second (budget exhausted)", result.Out);
    }

    [Fact]
    public async Task Plan_budget_that_is_not_reached_lets_the_run_succeed()
    {
        var plan = _cli.Plan(Images);

        var result = await _cli.RunAsync("run", plan, "--out", "out", "--plain");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("of a $1.00 budget", result.Out);
        Assert.Equal(3, Directory.GetFiles(_cli.FilePath("out/artifacts"), "*.png").Length);
    }

    [Fact]
    public async Task Negative_budget_option_is_rejected()
    {
        var plan = _cli.Plan(Images);

        var result = await _cli.RunAsync("run", plan, "--budget-usd", "-1");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--budget-usd must be a number from 0 to", result.Error);
    }
}
