namespace Fanout.Tests.Cli;

public sealed class EstimateCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string MarkerPlan() => _cli.Plan($$"""
        name: marker
        {{Plans.Simulated}}
        tasks:
          - id: build
            argv: [sh, -c, "touch '{{_cli.FilePath("marker")}}'"]
            estimate: 3s
          - id: review
            needs: [build]
            prompt: "Review the build"
        """);

    [Fact]
    public async Task Estimate_predicts_a_makespan_without_starting_processes()
    {
        var plan = MarkerPlan();

        var result = await _cli.RunAsync("estimate", plan);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("estimate", result.Out);
        Assert.Matches(@"predicted makespan\s*│\s*3\.\ds", result.Out);
        Assert.False(File.Exists(_cli.FilePath("marker")), "estimate must not start processes");
    }

    [Fact]
    public async Task The_same_plan_run_for_real_does_start_the_process()
    {
        // The control for the test above: the marker plan really creates the file when it runs.
        var plan = MarkerPlan();

        var result = await _cli.RunAsync("run", plan, "--out", "out");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(File.Exists(_cli.FilePath("marker")));
    }

    [Fact]
    public async Task Estimate_json_is_a_report_whose_makespan_covers_the_estimates()
    {
        var plan = MarkerPlan();

        var result = await _cli.RunAsync("estimate", plan, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var report = RunReport.FromJson(result.Out);
        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.InRange(report.MakespanMs, 3000, 4000);
        Assert.Equal(["build", "review"], report.CriticalPath.ToArray());
        Assert.Contains("predicted makespan", result.Error);
    }

    [Fact]
    public async Task Estimate_takes_the_concurrency_limit_into_account()
    {
        var plan = _cli.Plan("""
            name: wide
            tasks:
              - { id: a, argv: [sh, -c, "true"], estimate: 1s }
              - { id: b, argv: [sh, -c, "true"], estimate: 1s }
              - { id: c, argv: [sh, -c, "true"], estimate: 1s }
              - { id: d, argv: [sh, -c, "true"], estimate: 1s }
            """);

        var wide = RunReport.FromJson((await _cli.RunAsync("estimate", plan, "--json")).Out);
        var narrow = RunReport.FromJson((await _cli.RunAsync("estimate", plan, "--json", "--concurrency", "2")).Out);

        Assert.Equal(1000, wide.MakespanMs);
        Assert.Equal(2000, narrow.MakespanMs);
    }

    [Fact]
    public async Task Estimate_counts_prompt_tokens_with_the_models_tokenizer()
    {
        // "tiktoken is great!" is 6 tokens for gpt-4o (o200k_base), framed as OpenAI's chat format does: 3 + 6 + 3.
        var plan = _cli.Plan("""
            name: tokens
            providers:
              llm: { type: openai, model: gpt-4o, pricing: { gpt-4o: { input: 1000000, output: 0 } } }
            tasks:
              - { id: ask, prompt: "tiktoken is great!" }
            """);

        var report = RunReport.FromJson((await _cli.RunAsync("estimate", plan, "--json")).Out);

        Assert.Equal(12, report.Tasks.Single().Tokens!.Input);
        Assert.Equal(12m, report.Tasks.Single().CostUsd);
    }

    [Fact]
    public async Task Estimate_says_which_models_tokens_are_approximated()
    {
        var plan = _cli.Plan("""
            name: claude
            providers:
              claude: { type: anthropic, model: claude-sonnet-4-20250514 }
            tasks:
              - { id: ask, prompt: "Hello" }
            """);

        var result = await _cli.RunAsync("estimate", plan);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("no public tokenizer for claude-sonnet-4-20250514: tokens approximated with o200k_base", result.ToString());
    }
}
