namespace Fanout.Tests.Plans;

/// <summary>The broken plans under Fixtures/ (reused by the CLI's tests) each produce exactly the problem they are named after.</summary>
public class FixtureTests
{
    [Theory]
    [InlineData("cycle.yaml", "5:12", "dependency cycle: a → b → c → a")]
    [InlineData("unknown-dependency.yaml", "7:13", "task 'write' needs unknown task 'reserch' (did you mean 'research'?)")]
    [InlineData("wrong-type.yaml", "3:14", "'concurrency' must be an integer, got string")]
    [InlineData("unknown-reference.yaml", "7:13", "task 'draft' prompt: references undeclared input 'topik' (did you mean 'topic'?); declare it under 'inputs:'")]
    public void Broken_fixture_gives_exactly_its_diagnostic(string fixture, string at, string message)
    {
        var d = Assert.Single(Fixtures.Problems(fixture));
        Assert.Equal(message, d.Message);
        Assert.Equal(new SourceLocation(Fixtures.PathOf(fixture), int.Parse(at.Split(':')[0]), int.Parse(at.Split(':')[1])), d.Location);
    }

    [Fact]
    public void Bad_yaml_fixture_gives_one_syntax_diagnostic()
    {
        var d = Assert.Single(Fixtures.Problems("bad-yaml.yaml"));
        Assert.StartsWith("invalid YAML: bad indentation", d.Message);
        Assert.Equal(new SourceLocation(Fixtures.PathOf("bad-yaml.yaml"), 6, 4), d.Location);
    }

    [Fact]
    public void Diagnostic_prints_as_file_line_column()
    {
        var d = Assert.Single(Fixtures.Problems("wrong-type.yaml"));
        Assert.Equal($"{Fixtures.PathOf("wrong-type.yaml")}:3:14: error: 'concurrency' must be an integer, got string", d.ToString());
    }

    [Fact]
    public void Missing_plan_file_is_a_plan_exception()
    {
        var e = Assert.Throws<PlanException>(() => Fanout.Plans.PlanLoader.Load(Fixtures.PathOf("no-such-plan.yaml")));
        Assert.StartsWith($"cannot read plan file '{Fixtures.PathOf("no-such-plan.yaml")}' (no such file", Assert.Single(e.Diagnostics).Message);
    }
}
