using System.Text.Json;
using Fanout.Plans;
using Fanout.Tests.Support;

namespace Fanout.Tests.Plans;

/// <summary>The run path reads a plan file once and validates it once; the report is built once, by the scheduler,
/// with what the provider layer saw.</summary>
public sealed class CompileOnceTests
{
    [Fact]
    public void Compiling_a_file_returns_the_graph_and_exactly_the_text_it_was_compiled_from()
    {
        var path = Fixtures.PathOf(Path.Combine("full", "site.yaml"));

        var graph = PlanLoader.Compile(path, out var text);

        Assert.Equal(File.ReadAllText(path), text);
        Assert.Equal(PlanLoader.Load(path).Tasks.Select(t => t.Id), graph.Plan.Tasks.Select(t => t.Id));
    }

    [Theory]
    [InlineData("cycle.yaml")]
    [InlineData("wrong-type.yaml")]
    [InlineData("unknown-reference.yaml")]
    public void Compiling_reports_the_same_problems_at_the_same_places_as_parsing(string fixture)
    {
        var parsed = Fixtures.Problems(fixture);

        var compiled = Assert.Throws<PlanException>(() => PlanLoader.Compile(Fixtures.PathOf(fixture), out _)).Diagnostics;

        Assert.Equal(parsed.Select(d => d.ToString()), compiled.Select(d => d.ToString()));
    }

    [Fact]
    public void The_report_carries_what_the_provider_layer_saw_beneath_the_attempts()
    {
        var pools = JsonSerializer.SerializeToElement(new[] { new { pool = "keys", rate_limited = 3 } });
        var plan = new PlanBuilder("p").Task("a", Sim.Work(10)).Build();

        var (report, _) = Sim.Run(plan, configure: o => o with { ProviderFacts = () => new ProviderFacts { RateLimited = 3, Pools = pools } });
        var json = JsonDocument.Parse(report.ToJson()).RootElement;

        Assert.Equal(3, report.RateLimited);
        Assert.Equal(3, json.GetProperty("rate_limited").GetInt32());
        Assert.Equal("keys", json.GetProperty("pools")[0].GetProperty("pool").GetString());
    }
}
