using Fanout.Tests.Plans;

namespace Fanout.Tests.Cache;

/// <summary>The plan fields <c>cache:</c> (plan and task) and <c>pure:</c>.</summary>
public sealed class CacheFieldTests
{
    [Fact]
    public void Cache_and_pure_are_read_from_the_plan_and_its_tasks()
    {
        var plan = Load.Yaml("""
            name: p
            cache: false
            tasks:
              - id: a
                argv: [echo, hi]
                pure: true
                cache: true
              - id: b
                argv: [echo, hi]
            """);

        Assert.False(plan.Cache);
        Assert.Equal((true, true), (plan.Tasks[0].Cache, plan.Tasks[0].Pure));
        Assert.Equal((null, false), (plan.Tasks[1].Cache, plan.Tasks[1].Pure));
    }

    [Fact]
    public void A_cache_value_that_is_not_a_boolean_is_reported_with_its_location()
    {
        var problem = Load.Problem("""
            name: p
            tasks:
              - id: a
                argv: [echo, hi]
                cache: sometimes
            """);

        Assert.Contains("'cache'", problem.Message, StringComparison.Ordinal);
        Assert.Equal("5:12", problem.At());
    }
}
