using Fanout.Providers.Pools;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using static Fanout.Tests.Pools.PoolKit;

namespace Fanout.Tests.Pools;

/// <summary>429s, 401s, bad requests and failing keys, in virtual time.</summary>
public class FailureTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly DateTimeOffset _start;

    public FailureTests() => _start = _time.GetUtcNow();

    private double Seconds(DateTimeOffset at) => (at - _start).TotalSeconds;

    /// <summary>Answers 429 (reporting <paramref name="retryAfter"/> in its headers) to the first <paramref name="times"/> calls.</summary>
    private static Func<FakeKey, IList<ChatMessage>, Task<ChatResponse>> Throttle(int times, string retryAfter) => (key, messages) =>
    {
        if (key.Count <= times)
        {
            key.Headers.Report(429, name => name == "retry-after" ? retryAfter : null, key.Headers.Now());
            return Task.FromException<ChatResponse>(new RateLimitedException("OpenAI HTTP 429: Rate limit reached"));
        }

        return FakeKey.Ok(key, messages);
    };

    [Fact]
    public async Task A_429_cools_down_only_its_key_and_the_request_goes_to_another()
    {
        var a = new FakeKey("a", _time, Throttle(1, "30"));
        var b = new FakeKey("b", _time);
        using var pool = Pool(new PoolOptions { Time = _time, Routing = Routing.RoundRobin }, (a, new KeyLimits()), (b, new KeyLimits()));

        var first = await Done(Ask(pool, Prompt(5)));
        var next = new[] { KeyOf(await Done(Ask(pool, Prompt(5)))), KeyOf(await Done(Ask(pool, Prompt(5)))) };

        Assert.Equal("b", KeyOf(first));
        Assert.Equal(["b", "b"], next);
        Assert.Equal(1, pool.Stats.Keys[0].RateLimited);
    }

    [Fact]
    public async Task A_shorter_retry_after_never_shortens_a_cooldown_in_force()
    {
        // Both requests are on the wire before either answers; the 10 s 429 arrives first, then the 1 s one.
        var calls = 0;
        var bothSent = new TaskCompletionSource();
        var firstAnswered = new TaskCompletionSource();
        var a = new FakeKey("a", _time, async (key, messages) =>
        {
            var call = Interlocked.Increment(ref calls);
            if (call > 2)
            {
                return await FakeKey.Ok(key, messages);
            }

            if (call == 2)
            {
                bothSent.SetResult();
                await firstAnswered.Task;
            }
            else
            {
                await bothSent.Task;
            }

            key.Headers.Report(429, name => name == "retry-after" ? (call == 1 ? "10" : "1") : null, key.Headers.Now());
            if (call == 1)
            {
                firstAnswered.SetResult();
            }

            throw new RateLimitedException("429");
        });
        using var pool = Pool(new PoolOptions { Time = _time }, (a, new KeyLimits()));

        // Two requests in flight at once both get 429: the 10 s cooldown comes first, the 1 s one must not cut it.
        var both = new[] { Ask(pool, Prompt(5)), Ask(pool, Prompt(5)) };
        await a.WhenSent(2);
        await Until(() => pool.Stats.Keys[0].RateLimited == 2);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, a.Count);
        _time.Advance(TimeSpan.FromSeconds(5));
        await Done(Task.WhenAll(both));

        Assert.All(a.Sent.Skip(2), s => Assert.Equal(10, Seconds(s.At)));
    }

    [Fact]
    public async Task When_every_key_is_cooling_the_request_waits_for_the_first_to_recover_instead_of_failing()
    {
        var a = new FakeKey("a", _time, Throttle(1, "20"));
        var b = new FakeKey("b", _time, Throttle(1, "8"));
        using var pool = Pool(new PoolOptions { Time = _time, Routing = Routing.RoundRobin }, (a, new KeyLimits()), (b, new KeyLimits()));

        var request = Ask(pool, Prompt(5));
        await b.WhenSent(1);
        await Until(() => pool.Stats.Keys[1].RateLimited == 1);
        _time.Advance(TimeSpan.FromSeconds(8));
        var response = await Done(request);

        Assert.Equal("b", KeyOf(response));
        Assert.Equal(8, Seconds(b.Sent[1].At));
        Assert.Equal(1, a.Count);
    }

    [Fact]
    public async Task A_401_disables_that_key_for_the_run_and_the_request_is_answered_by_another()
    {
        var a = new FakeKey("a", _time, (_, _) => Task.FromException<ChatResponse>(new KeyRejectedException("OpenAI HTTP 401: Incorrect API key provided.")));
        var b = new FakeKey("b", _time);
        using var pool = Pool(new PoolOptions { Time = _time, Routing = Routing.RoundRobin }, (a, new KeyLimits()), (b, new KeyLimits()));

        var used = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            used.Add(KeyOf(await Done(Ask(pool, Prompt(5)))));
        }

        Assert.Equal(["b", "b", "b", "b"], used);
        Assert.Equal(1, a.Count);
        Assert.Equal("OpenAI HTTP 401: Incorrect API key provided.", pool.Stats.Keys[0].Disabled);
    }

    [Fact]
    public async Task When_every_key_is_rejected_the_request_fails_with_the_providers_message()
    {
        var a = new FakeKey("a", _time, (_, _) => Task.FromException<ChatResponse>(new KeyRejectedException("OpenAI HTTP 401: Incorrect API key provided.")));
        using var pool = Pool(new PoolOptions { Time = _time }, (a, new KeyLimits()));

        var e = await Assert.ThrowsAsync<TaskFailedException>(() => Done(Ask(pool, Prompt(5))));

        Assert.Equal("OpenAI HTTP 401: Incorrect API key provided.", e.Message);
        Assert.False(e.Retryable);
        await Assert.ThrowsAsync<TaskFailedException>(() => Done(Ask(pool, Prompt(5))));
        Assert.Equal(1, a.Count);
    }

    [Fact]
    public async Task A_bad_request_fails_at_once_without_trying_other_keys()
    {
        var a = new FakeKey("a", _time, (_, _) => Task.FromException<ChatResponse>(new TaskFailedException("OpenAI HTTP 400: bad", retryable: false)));
        var b = new FakeKey("b", _time);
        using var pool = Pool(new PoolOptions { Time = _time, Routing = Routing.RoundRobin }, (a, new KeyLimits()), (b, new KeyLimits()));

        var e = await Assert.ThrowsAsync<TaskFailedException>(() => Done(Ask(pool, Prompt(5))));

        Assert.Equal("OpenAI HTTP 400: bad", e.Message);
        Assert.Equal(0, b.Count);
        Assert.Null(pool.Stats.Keys[0].Disabled);
    }

    [Fact]
    public async Task Five_failures_in_a_row_open_a_keys_breaker_for_30_seconds_then_one_probe_closes_it()
    {
        var failing = true;
        var a = new FakeKey("a", _time, (key, messages) => failing
            ? Task.FromException<ChatResponse>(new TaskFailedException("OpenAI HTTP 503: overloaded", retryable: true))
            : FakeKey.Ok(key, messages));
        var b = new FakeKey("b", _time);
        using var pool = Pool(new PoolOptions { Time = _time, Routing = Routing.RoundRobin }, (a, new KeyLimits()), (b, new KeyLimits()));

        var used = new List<string>();
        for (var i = 0; i < 14; i++)
        {
            try
            {
                used.Add(KeyOf(await Done(Ask(pool, Prompt(5)))));
            }
            catch (TaskFailedException e) when (e.Retryable)
            {
                used.Add("a failed");
            }
        }

        Assert.Equal(5, used.Count(u => u == "a failed"));
        Assert.Equal(["b", "b", "b", "b"], used[^4..]);
        Assert.Equal(1, pool.Stats.Keys[0].BreakerOpened);

        failing = false;
        _time.Advance(TimeSpan.FromSeconds(30));
        var afterProbe = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            afterProbe.Add(KeyOf(await Done(Ask(pool, Prompt(5)))));
        }

        Assert.Contains("a", afterProbe);
        Assert.Equal(5, a.Count - afterProbe.Count(k => k == "a"));
    }
}
