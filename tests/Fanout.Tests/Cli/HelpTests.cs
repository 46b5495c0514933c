namespace Fanout.Tests.Cli;

public sealed class HelpTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Root_help_lists_every_command()
    {
        var result = await _cli.RunAsync("--help");

        Assert.Equal(0, result.ExitCode);
        foreach (var command in new[] { "run", "validate", "graph", "estimate" })
        {
            Assert.Matches($@"(?m)^\s+{command}\s+\S", result.Out);
        }
    }

    [Fact]
    public async Task Run_help_lists_every_option()
    {
        var result = await _cli.RunAsync("run", "--help");

        Assert.Equal(0, result.ExitCode);
        foreach (var option in new[] { "--input", "--concurrency", "--out", "--json", "--fail-fast", "--seed", "--plain" })
        {
            Assert.Contains(option, result.Out);
        }
    }

    [Fact]
    public async Task Version_prints_the_cli_version()
    {
        var result = await _cli.RunAsync("--version");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Fanout.Cli.CliHost.Version, result.Out.Trim());
    }

    [Fact]
    public async Task Unknown_command_is_a_usage_error()
    {
        var result = await _cli.RunAsync("explode");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("explode", result.Error);
    }
}
