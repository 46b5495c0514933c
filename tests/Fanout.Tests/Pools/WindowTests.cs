using Fanout.Providers.Pools;
using Fanout.Time;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using static Fanout.Tests.Pools.PoolKit;

namespace Fanout.Tests.Pools;

/// <summary>Buckets the size of the provider's window: the minute's allowance goes up front, the rest at the refill rate.</summary>
public class WindowTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task A_key_spends_its_minute_allowance_up_front_and_then_paces_at_the_refill_rate()
    {
        var key = new FakeKey("a", _time);
        using var pool = Pool(new PoolOptions { Time = _time, Slack = TimeSpan.Zero, Patience = TimeSpan.FromMinutes(5) }, (key, new KeyLimits { Rpm = 60 }));
        var start = _time.GetUtcNow();

        var all = Enumerable.Range(0, 62).Select(_ => Ask(pool, Prompt(1))).ToList();
        await key.WhenSent(60);
        _time.Advance(TimeSpan.FromSeconds(1));
        await key.WhenSent(61);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Done(Task.WhenAll(all));

        var seconds = key.Sent.Select(s => (s.At - start).TotalSeconds).ToList();
        Assert.Equal(60, seconds.Count(s => s == 0));
        Assert.Equal([1.0, 2], seconds.Skip(60));
    }

    [Fact]
    public async Task A_reported_remaining_lowers_the_key_to_what_it_was_plus_what_refilled_since_the_request_was_sent()
    {
        // The first answer says 10 remained when it was sent, 2 s before it arrived (60 RPM: one a second).
        var key = new FakeKey("a", _time, (k, messages) =>
        {
            if (k.Count == 1)
            {
                k.Headers.Report(200, name => name == "x-ratelimit-remaining-requests" ? "10" : null, k.Headers.Now() - TimeSpan.FromSeconds(2));
            }

            return FakeKey.Ok(k, messages);
        });
        using var pool = Pool(new PoolOptions { Time = _time, Slack = TimeSpan.Zero, Patience = TimeSpan.FromMinutes(5) }, (key, new KeyLimits { Rpm = 60 }));
        await Done(Ask(pool, Prompt(1)));

        var start = _time.GetUtcNow();
        var all = Enumerable.Range(0, 13).Select(_ => Ask(pool, Prompt(1))).ToList();
        await key.WhenSent(13);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Done(Task.WhenAll(all));

        // 10 + 2 refilled: twelve at once, the thirteenth a second later.
        var seconds = key.Sent.Skip(1).Select(s => (s.At - start).TotalSeconds).ToList();
        Assert.Equal(12, seconds.Count(s => s == 0));
        Assert.Equal(1.0, seconds[^1]);
    }

    [Fact]
    public async Task A_request_larger_than_every_keys_limit_fails_without_being_sent()
    {
        var key = new FakeKey("a", _time);
        using var pool = Pool(new PoolOptions { Time = _time }, (key, new KeyLimits { Tpm = 8_000 }));

        var e = await Assert.ThrowsAsync<TaskFailedException>(() => Done(Ask(pool, Prompt(10), maxTokens: 128_000)));

        Assert.False(e.Retryable);
        Assert.Equal("request too large for provider 'llm': key 'a' allows 8000 per minute and this request needs 128010 (prompt plus max_tokens): lower max_tokens or shorten the prompt", e.Message);
        Assert.Equal(0, key.Count);
    }

    [Fact]
    public void A_run_held_by_a_keys_limits_reports_the_rate_bound_and_counts_the_hold_as_wait()
    {
        // 10 prompts on a key of 6 RPM: 6 go at once, then one every 10 s, so the last is admitted at 40 s.
        var clock = new VirtualClock();
        var key = new FakeKey("a", clock);
        var limits = new KeyLimits { Rpm = 6 };
        using var pool = Pool(new PoolOptions { Time = clock, Slack = TimeSpan.Zero, Patience = TimeSpan.FromHours(1) }, (key, limits));
        var builder = new PlanBuilder("held");
        for (var i = 0; i < 10; i++)
        {
            builder.Add(new TaskDefinition { Id = $"p{i}", Body = new PromptBody { Prompt = $"question {i}" } });
        }

        var report = VirtualTime.Run(clock, () => new Scheduler(TaskGraph.Compile(builder.Build()), new RunOptions
        {
            RunId = "held",
            Time = clock,
            ProviderLimits = [new ProviderLimits("llm", [limits])],
            Executors = ExecutorRegistry.CreateDefault().With(new PromptExecutor(new OneTarget(pool))),
        }).RunAsync());

        Assert.Equal(40_000, report.MakespanMs);
        Assert.Equal(40_000, report.LowerBoundMs);
        Assert.Equal(1, report.Efficiency);
        Assert.All(report.Tasks, t => Assert.Equal(0, t.DurationMs));
        Assert.Equal(40_000, report.Tasks.Max(t => t.WaitMs));
        Assert.Equal(6 + 4, key.Count);
    }

    [Fact]
    public void The_default_concurrency_never_caps_a_key_below_its_burst()
    {
        Assert.Equal(RunOptions.DefaultConcurrency, RunOptions.DefaultConcurrencyFor([]));
        Assert.Equal(1_200, RunOptions.DefaultConcurrencyFor([new ProviderLimits("llm", [new KeyLimits { Rpm = 1_200, Tpm = 150_000 }])]));
        Assert.Equal(40, RunOptions.DefaultConcurrencyFor([new ProviderLimits("llm", [new KeyLimits { Rpm = 1_200, Concurrency = 40 }])]));
        Assert.Equal(20, RunOptions.DefaultConcurrencyFor([new ProviderLimits("llm", [new KeyLimits { Rpm = 1_200, Burst = TimeSpan.FromSeconds(1) }])]));
        Assert.Equal(KeyState.AdaptiveCeiling, RunOptions.DefaultConcurrencyFor([new ProviderLimits("llm", [new KeyLimits()], KeyState.AdaptiveCeiling)]));
    }

    private sealed class OneTarget(IChatClient client) : IChatClientResolver
    {
        public ChatTarget Resolve(string? provider, string? model) => new(client, "llm", model ?? "m", null, "a");
    }
}
