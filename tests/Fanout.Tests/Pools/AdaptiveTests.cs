using Fanout.Providers.Pools;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using static Fanout.Tests.Pools.PoolKit;

namespace Fanout.Tests.Pools;

public class AdaptiveTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task Adaptive_concurrency_converges_near_what_the_server_sustains_and_every_request_succeeds()
    {
        // A server with no headers that refuses more than 4 requests at once; each answer takes one second.
        var inFlight = 0;
        var sleeping = 0;
        var key = new FakeKey("a", _time, async (_, _) =>
        {
            if (Interlocked.Increment(ref inFlight) > 4)
            {
                Interlocked.Decrement(ref inFlight);
                throw new RateLimitedException("HTTP 429");
            }

            // The answer is due in one second; the counters change inside the clock's own callback, so the test
            // never advances time while an answered request has not yet reached the pool.
            Interlocked.Increment(ref sleeping);
            var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var timer = _time.CreateTimer(_ =>
            {
                Interlocked.Decrement(ref inFlight);
                Interlocked.Decrement(ref sleeping);
                answered.TrySetResult();
            }, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
            await answered.Task;
            return FakeKey.Answer(5, 5);
        });
        using var pool = Pool(new PoolOptions { Time = _time, Slack = TimeSpan.Zero, Adaptive = true, AdaptiveStart = 1, DefaultCooldown = TimeSpan.FromMilliseconds(200),
                // Requests held until a cooldown ends would be invisible to the settling check below.
                Patience = TimeSpan.FromDays(1) },
            (key, new KeyLimits()));
        var start = _time.GetUtcNow();

        var completed = 0;
        var all = Task.WhenAll(Enumerable.Range(0, 80).Select(async _ =>
        {
            await Ask(pool, Prompt(5));
            Interlocked.Increment(ref completed);
        }));

        // Time moves only when every request is settled somewhere: answered, on the server, or queued in the pool.
        while (Volatile.Read(ref completed) < 80)
        {
            await Until(() => Volatile.Read(ref completed) + Volatile.Read(ref sleeping) + pool.Waiting == 80);
            _time.Advance(TimeSpan.FromMilliseconds(50));
        }

        await Done(all);
        var stats = pool.Stats.Keys[0];
        Assert.Equal(80, stats.Succeeded);
        Assert.InRange(stats.Concurrency!.Value, 2, 8);
        Assert.True(stats.RateLimited > 0, "AIMD never probed past the limit");
        // 80 one-second requests at the server's 4 at a time take 20 s; converged AIMD stays within twice that.
        Assert.InRange((_time.GetUtcNow() - start).TotalSeconds, 20, 40);
    }

    [Fact]
    public async Task Adaptive_mode_learns_an_undeclared_limit_from_the_headers_and_then_lifts_its_concurrency_cap()
    {
        // The provider allows 60 a minute; its first answer says 2 remain (as of when the request was sent), and each
        // later one what remains after it.
        var key = new FakeKey("a", _time, (k, messages) =>
        {
            k.Headers.Report(200, name => name switch
            {
                "x-ratelimit-limit-requests" => "60",
                "x-ratelimit-remaining-requests" => Math.Max(0, 3 - k.Count).ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => null,
            }, k.Headers.Now());
            return FakeKey.Ok(k, messages);
        });
        using var pool = Pool(new PoolOptions { Time = _time, Slack = TimeSpan.Zero, Adaptive = true, AdaptiveStart = 1 }, (key, new KeyLimits()));
        var start = _time.GetUtcNow();

        var all = Enumerable.Range(0, 5).Select(_ => Ask(pool, Prompt(5))).ToList();
        await key.WhenSent(3);
        _time.Advance(TimeSpan.FromSeconds(1));
        await key.WhenSent(4);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Done(Task.WhenAll(all));

        // One request while nothing is known; then the cap no longer holds them back: the two remaining go at once,
        // and the rest at the learnt rate of one a second.
        Assert.Equal([0.0, 0, 0, 1, 2], key.Sent.Select(s => (s.At - start).TotalSeconds));
        Assert.Equal(KeyState.AdaptiveCeiling, pool.Stats.Keys[0].Concurrency);
    }
}
