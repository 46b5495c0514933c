using Fanout.Time;

namespace Fanout.Tests.Scheduling;

/// <summary>The virtual clock and the pump that drives it, which the scheduler tests and <c>fanout estimate</c> stand on.</summary>
public class VirtualTimeTests
{
    [Fact]
    public void Timers_fire_in_due_order_at_their_due_time()
    {
        var clock = new VirtualClock();
        var start = clock.GetUtcNow();
        var fired = new List<string>();
        using var late = clock.CreateTimer(_ => fired.Add($"late@{(clock.GetUtcNow() - start).TotalMilliseconds}"), null, TimeSpan.FromMilliseconds(30), Timeout.InfiniteTimeSpan);
        using var early = clock.CreateTimer(_ => fired.Add($"early@{(clock.GetUtcNow() - start).TotalMilliseconds}"), null, TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);
        using var never = clock.CreateTimer(_ => fired.Add("never"), null, TimeSpan.FromMilliseconds(100), Timeout.InfiniteTimeSpan);

        VirtualTime.Run(clock, () => Task.Delay(TimeSpan.FromMilliseconds(50), clock));

        Assert.Equal(["early@10", "late@30"], fired);
        Assert.Equal(50, (clock.GetUtcNow() - start).TotalMilliseconds);
    }

    [Fact]
    public void Periodic_timer_fires_once_per_period()
    {
        var clock = new VirtualClock();
        var count = 0;
        using var timer = clock.CreateTimer(_ => count++, null, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10));

        VirtualTime.Run(clock, () => Task.Delay(TimeSpan.FromMilliseconds(35), clock));

        Assert.Equal(3, count);
    }

    [Fact]
    public void Changed_and_disposed_timers_do_not_fire_at_their_old_time()
    {
        var clock = new VirtualClock();
        var start = clock.GetUtcNow();
        var fired = new List<string>();
        using var moved = clock.CreateTimer(_ => fired.Add($"moved@{(clock.GetUtcNow() - start).TotalMilliseconds}"), null, TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);
        var disposed = clock.CreateTimer(_ => fired.Add("disposed"), null, TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);
        moved.Change(TimeSpan.FromMilliseconds(40), Timeout.InfiniteTimeSpan);
        disposed.Dispose();

        VirtualTime.Run(clock, () => Task.Delay(TimeSpan.FromMilliseconds(100), clock));

        Assert.Equal(["moved@40"], fired);
        Assert.False(disposed.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan));
    }

    [Fact]
    public void Every_timer_due_at_an_instant_fires_before_work_they_post_runs()
    {
        // So the scheduler's loop (resumed through a post) reads every attempt that finished at an instant before it
        // dispatches more work at that instant.
        var clock = new VirtualClock();
        var order = new List<string>();
        using var first = clock.CreateTimer(_ =>
        {
            order.Add("first");
            SynchronizationContext.Current!.Post(_ => order.Add("posted by first"), null);
        }, null, TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);
        using var second = clock.CreateTimer(_ => order.Add("second"), null, TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);

        VirtualTime.Run(clock, () => Task.Delay(TimeSpan.FromMilliseconds(20), clock));

        Assert.Equal(["first", "second", "posted by first"], order);
    }

    [Fact]
    public void Delay_on_the_virtual_clock_completes_in_virtual_time()
    {
        var clock = new VirtualClock();
        var start = clock.GetUtcNow();

        var elapsed = VirtualTime.Run(clock, async () =>
        {
            await Task.Delay(TimeSpan.FromHours(3), clock);
            await Task.WhenAll(Task.Delay(TimeSpan.FromMinutes(1), clock), Task.Delay(TimeSpan.FromMinutes(2), clock));
            return clock.GetUtcNow() - start;
        });

        Assert.Equal(TimeSpan.FromMinutes(182), elapsed);
    }

    [Fact]
    public void Run_that_waits_on_nothing_is_reported_as_stuck()
    {
        var clock = new VirtualClock();
        var never = new TaskCompletionSource<int>();

        var e = Assert.Throws<InvalidOperationException>(() => VirtualTime.Run(clock, () => never.Task, TimeSpan.FromMilliseconds(50)));

        Assert.Contains("stuck", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_negative_due_time_is_refused_as_the_system_timer_refuses_it()
    {
        var clock = new VirtualClock();

        Assert.Throws<ArgumentOutOfRangeException>(() => clock.CreateTimer(_ => { }, null, TimeSpan.FromMilliseconds(-5), Timeout.InfiniteTimeSpan));
    }
}
