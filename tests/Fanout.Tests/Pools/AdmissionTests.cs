using Fanout.Providers.Pools;
using Microsoft.Extensions.Time.Testing;
using static Fanout.Tests.Pools.PoolKit;

namespace Fanout.Tests.Pools;

/// <summary>Token-aware admission in virtual time: one key of 6,000 TPM with <c>burst: 1s</c> holds 100 tokens and refills 100 per second.</summary>
public class AdmissionTests
{
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _time = new();
    private readonly DateTimeOffset _start;

    public AdmissionTests() => _start = _time.GetUtcNow();

    private double Seconds(DateTimeOffset at) => (at - _start).TotalSeconds;

    [Fact]
    public async Task With_a_one_second_burst_requests_are_spread_over_the_minute_instead_of_going_at_its_start()
    {
        var key = new FakeKey("a", _time);
        // Patience longer than the test, so every grant comes from the pump the clock's timer runs (none reserves ahead).
        using var pool = Pool(new PoolOptions { Time = _time, Slack = TimeSpan.Zero, Patience = TimeSpan.FromMinutes(1) }, (key, new KeyLimits { Rpm = 60, Burst = OneSecond }));

        var all = Enumerable.Range(0, 5).Select(_ => Ask(pool, Prompt(1))).ToList();
        for (var sent = 1; sent <= 5; sent++)
        {
            await key.WhenSent(sent);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        await Done(Task.WhenAll(all));
        Assert.Equal([0.0, 1, 2, 3, 4], key.Sent.Select(s => Seconds(s.At)));
    }

    [Fact]
    public async Task A_timer_that_fires_before_the_clock_reaches_its_due_time_does_not_strand_the_queue()
    {
        var early = new EarlyTimers(_time, TimeSpan.FromMilliseconds(1));
        var key = new FakeKey("a", early);
        using var pool = Pool(new PoolOptions { Time = early, Slack = TimeSpan.Zero }, (key, new KeyLimits { Rpm = 60, Burst = OneSecond }));
        var first = Ask(pool, Prompt(1));
        await key.WhenSent(1);

        // Due in 1 s; the timer fires at 999 ms, when the bucket is still a millisecond short, and must be armed again.
        var second = Ask(pool, Prompt(1));
        _time.Advance(TimeSpan.FromMilliseconds(999));
        _time.Advance(TimeSpan.FromMilliseconds(1));

        await Done(key.WhenSent(2));
        await Done(Task.WhenAll(first, second));
        Assert.Equal(1.0, Seconds(key.Sent[1].At), 3);
    }

    [Fact]
    public async Task A_small_request_queued_behind_a_large_one_goes_first_when_it_fits()
    {
        var key = new FakeKey("a", _time);
        using var pool = Pool(new PoolOptions { Time = _time, Slack = TimeSpan.Zero }, (key, new KeyLimits { Tpm = 6_000, Burst = OneSecond }));
        var first = Ask(pool, Prompt(90), maxTokens: 10);
        await key.WhenSent(1);

        var large = Ask(pool, Prompt(390, 'L'), maxTokens: 10);
        var small = Ask(pool, Prompt(10, 's'), maxTokens: 10);
        _time.Advance(TimeSpan.FromMilliseconds(200));
        await key.WhenSent(2);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Done(Task.WhenAll(first, large, small));

        Assert.Equal(['a', 's', 'L'], key.Sent.Select(s => s.Prompt[0]));
        Assert.Equal(0.2, Seconds(key.Sent[1].At), 3);
    }

    [Fact]
    public async Task A_large_request_reserves_ahead_after_its_patience_so_a_stream_of_small_ones_cannot_starve_it()
    {
        var key = new FakeKey("a", _time);
        using var pool = Pool(new PoolOptions { Time = _time, Slack = TimeSpan.Zero, Patience = TimeSpan.FromSeconds(2) }, (key, new KeyLimits { Tpm = 6_000, Burst = OneSecond }));
        var tasks = new List<Task> { Ask(pool, Prompt(90), maxTokens: 10) };
        await key.WhenSent(1);
        tasks.Add(Ask(pool, Prompt(390, 'L'), maxTokens: 10));

        // Small requests arrive exactly as fast as the bucket refills, so it never fills for the large one by itself.
        for (var step = 1; step <= 9; step++)
        {
            tasks.Add(Ask(pool, Prompt(10, 's'), maxTokens: 10));
            _time.Advance(TimeSpan.FromMilliseconds(200));
            await key.WhenSent(1 + step);
        }

        // At 2 s the large one is out of patience: it takes its tokens (the key goes into debt) and is sent once a
        // full bucket's worth has refilled, 0.8 s later; the small one queued at 1.8 s now waits behind the debt.
        tasks.Add(Ask(pool, Prompt(10, 's'), maxTokens: 10));
        _time.Advance(TimeSpan.FromMilliseconds(200));
        _time.Advance(TimeSpan.FromMilliseconds(800));
        await key.WhenSent(11);
        Assert.Equal('L', key.Sent[10].Prompt[0]);
        Assert.Equal(2.8, Seconds(key.Sent[10].At), 3);
        Assert.All(key.Sent.Skip(1).Take(9), s => Assert.Equal('s', s.Prompt[0]));

        _time.Advance(TimeSpan.FromSeconds(10));
        await Done(Task.WhenAll(tasks));
    }

    [Fact]
    public async Task Unused_output_tokens_are_given_back_after_the_response()
    {
        var key = new FakeKey("a", _time, (_, messages) => Task.FromResult(FakeKey.Answer(10, 5)));
        using var pool = Pool(new PoolOptions { Time = _time, Slack = TimeSpan.Zero }, (key, new KeyLimits { Tpm = 6_000, Burst = OneSecond }));

        // Reserves 10 + 90 = 100 (the whole bucket), uses 10 + 5: 85 come back, so a second request of 60 fits at once.
        await Done(Ask(pool, Prompt(10), maxTokens: 90));
        await Done(Ask(pool, Prompt(10), maxTokens: 50));

        Assert.Equal([0.0, 0.0], key.Sent.Select(s => Seconds(s.At)));
    }

    [Fact]
    public async Task The_estimators_error_is_measured_against_reported_usage()
    {
        var key = new FakeKey("a", _time, (_, messages) => Task.FromResult(FakeKey.Answer(80, 30)));
        using var pool = Pool(new PoolOptions { Time = _time, Slack = TimeSpan.Zero }, (key, new KeyLimits()));

        await Done(Ask(pool, Prompt(100), maxTokens: 50));
        await Done(Ask(pool, Prompt(60), maxTokens: 50));

        var stats = pool.Stats;
        Assert.Equal(2, stats.Measured);
        Assert.Equal(40.0 / 160, stats.InputError, 6);   // |100-80| + |60-80| over 160
        Assert.Equal(0, stats.InputBias, 6);
        Assert.Equal(260.0 / 220, stats.ReservedPerUsed, 6);
        Assert.Contains("input estimate error 25.0% (bias 0.0%)", stats.Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_waiting_request_leaves_the_queue_without_holding_capacity()
    {
        var key = new FakeKey("a", _time);
        using var pool = Pool(new PoolOptions { Time = _time, Slack = TimeSpan.Zero }, (key, new KeyLimits { Rpm = 60, Burst = OneSecond }));
        await Done(Ask(pool, Prompt(1)));
        using var cancel = new CancellationTokenSource();
        var waiting = Ask(pool, Prompt(1), cancellationToken: cancel.Token);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Done(waiting));
        _time.Advance(TimeSpan.FromSeconds(1));
        await Done(Ask(pool, Prompt(1)));

        Assert.Equal(2, key.Count);
        Assert.Equal(1.0, Seconds(key.Sent[1].At));
    }

    /// <summary>A clock whose timers fire <paramref name="early"/> before their due time, as real timers may against a
    /// separately read clock.</summary>
    private sealed class EarlyTimers(FakeTimeProvider inner, TimeSpan early) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override long GetTimestamp() => inner.GetTimestamp();

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            new Early(inner.CreateTimer(callback, state, Shift(dueTime), period), early);

        private static TimeSpan Shift(TimeSpan due, TimeSpan early) => due == Timeout.InfiniteTimeSpan || due <= early ? due : due - early;

        private TimeSpan Shift(TimeSpan due) => Shift(due, early);

        private sealed class Early(ITimer timer, TimeSpan early) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => timer.Change(Shift(dueTime, early), period);

            public void Dispose() => timer.Dispose();

            public ValueTask DisposeAsync() => timer.DisposeAsync();
        }
    }
}
