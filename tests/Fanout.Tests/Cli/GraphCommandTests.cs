namespace Fanout.Tests.Cli;

public sealed class GraphCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Graph_prints_mermaid_by_default_with_every_edge()
    {
        var plan = _cli.Plan(Plans.Small);

        var result = await _cli.RunAsync("graph", plan);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("flowchart", result.Out.TrimStart());
        Assert.Matches(@"hello\S*\s*-->\s*summary", result.Out);
        Assert.Matches(@"summary\S*\s*-->\s*both", result.Out);
    }

    [Fact]
    public async Task Graph_prints_dot_when_asked()
    {
        var plan = _cli.Plan(Plans.Small);

        var result = await _cli.RunAsync("graph", plan, "--format", "dot");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("digraph", result.Out.TrimStart());
        Assert.Matches("\"?hello\"?\\s*->\\s*\"?summary\"?", result.Out);
    }

    [Fact]
    public async Task Unknown_graph_format_is_a_usage_error()
    {
        var plan = _cli.Plan(Plans.Small);

        var result = await _cli.RunAsync("graph", plan, "--format", "png");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("png", result.Error);
    }
}
