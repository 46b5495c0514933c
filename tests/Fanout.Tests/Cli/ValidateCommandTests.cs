namespace Fanout.Tests.Cli;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static string Fixture(string name) => Fanout.Tests.Plans.Fixtures.PathOf(name);

    [Fact]
    public async Task Valid_plan_exits_0_with_one_summary_line()
    {
        var plan = _cli.Plan(Plans.Small);

        var result = await _cli.RunAsync("validate", plan);

        Assert.True(result.ExitCode == 0, result.ToString());
        var line = Assert.Single(result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("OK ", line);
        Assert.Contains("3 tasks", line);
        Assert.Contains("1 input (topic)", line);
        Assert.Contains("1 provider (sim: simulated)", line);
        Assert.Equal("", result.Error);
    }

    [Fact]
    public async Task Every_problem_is_printed_on_its_own_line_with_file_line_and_column()
    {
        var plan = _cli.Plan("""
            name: bad
            tasks:
              - id: a
                needs: [nope]
                argv: [sh, -c, "true"]
              - id: b
                needs: [missing]
                argv: [sh, -c, "true"]
            """);

        var result = await _cli.RunAsync("validate", plan);

        Assert.True(result.ExitCode == 2, result.ToString());
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"plan\.yaml:4:\d+: error: .*'nope'"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"plan\.yaml:7:\d+: error: .*'missing'"));
    }

    [Fact]
    public async Task Missing_plan_file_exits_2()
    {
        var result = await _cli.RunAsync("validate", _cli.FilePath("absent.yaml"));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("absent.yaml", result.Error);
    }

    [Theory]
    [InlineData("cycle.yaml")]
    [InlineData("unknown-dependency.yaml")]
    [InlineData("bad-yaml.yaml")]
    [InlineData("wrong-type.yaml")]
    [InlineData("unknown-reference.yaml")]
    public async Task Broken_fixture_exits_2_with_located_errors(string fixture)
    {
        var result = await _cli.RunAsync("validate", Fixture(fixture));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(fixture)}:\d+:\d+: error: ", result.Error);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task Cycle_error_shows_the_cycle_path()
    {
        var result = await _cli.RunAsync("validate", Fixture("cycle.yaml"));

        Assert.Contains("cycle: a → b → c → a", result.Error);
    }
}
