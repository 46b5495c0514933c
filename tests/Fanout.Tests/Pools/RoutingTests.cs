using Fanout.Providers.Pools;
using Microsoft.Extensions.Time.Testing;
using static Fanout.Tests.Pools.PoolKit;

namespace Fanout.Tests.Pools;

public class RoutingTests
{
    private readonly FakeTimeProvider _time = new();

    private (FakeKey Key, KeyLimits Limits)[] Keys(params string[] aliases) => [.. aliases.Select(a => (new FakeKey(a, _time), new KeyLimits()))];

    private async Task<List<string>> Send(KeyPool pool, int count, Func<int, string?>? sticky = null)
    {
        var used = new List<string>();
        for (var i = 0; i < count; i++)
        {
            used.Add(KeyOf(await Done(Ask(pool, Prompt(10), sticky: sticky?.Invoke(i)))));
        }

        return used;
    }

    [Fact]
    public async Task Round_robin_takes_each_key_in_turn()
    {
        using var pool = Pool(new PoolOptions { Time = _time, Routing = Routing.RoundRobin }, Keys("a", "b", "c"));

        Assert.Equal(["a", "b", "c", "a", "b", "c", "a"], await Send(pool, 7));
    }

    [Fact]
    public async Task Weighted_routing_sends_in_proportion_to_the_weights()
    {
        var a = new FakeKey("a", _time);
        var b = new FakeKey("b", _time);
        using var pool = new KeyPool("llm", [new PoolKey("a", a, a.Headers) { Weight = 3 }, new PoolKey("b", b, b.Headers) { Weight = 1 }],
            new PoolOptions { Time = _time, Routing = Routing.Weighted });

        var used = await Send(pool, 40);

        Assert.Equal(30, used.Count(k => k == "a"));
        Assert.Equal(10, used.Count(k => k == "b"));
        Assert.DoesNotContain("a,a,a,a", string.Join(",", used), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sticky_routing_keeps_each_task_on_one_key_and_spreads_tasks_over_keys()
    {
        using var pool = Pool(new PoolOptions { Time = _time, Routing = Routing.Sticky }, Keys("a", "b", "c"));

        var first = await Send(pool, 30, i => $"task-{i % 10}");

        for (var task = 0; task < 10; task++)
        {
            Assert.Single(first.Where((_, i) => i % 10 == task).Distinct());
        }

        Assert.Equal(3, first.Distinct().Count());
    }

    [Fact]
    public async Task Least_loaded_sends_to_the_key_with_the_most_capacity_left()
    {
        var keys = Keys("a", "b");
        keys[0].Limits = keys[1].Limits = new KeyLimits { Tpm = 60_000 };
        using var pool = Pool(new PoolOptions { Time = _time }, keys);

        var large = KeyOf(await Done(Ask(pool, Prompt(400))));
        var next = await Send(pool, 3);

        Assert.Equal("a", large);
        Assert.Equal(["b", "b", "b"], next);
    }
}
