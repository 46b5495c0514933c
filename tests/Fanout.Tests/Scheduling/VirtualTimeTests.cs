using Fanout.Time;

namespace Fanout.Tests.Scheduling;

/// <summary>The manual clock and the virtual-time pump the scheduler tests stand on.</summary>
public class VirtualTimeTests
{
    [Fact]
    public void Advance_fires_due_timers_in_order_at_their_due_time()
    {
        var clock = new ManualTimeProvider();
        var start = clock.GetUtcNow();
        var fired = new List<string>();
        using var late = clock.CreateTimer(_ => fired.Add($"late@{(clock.GetUtcNow() - start).TotalMilliseconds}"), null, TimeSpan.FromMilliseconds(30), Timeout.InfiniteTimeSpan);
        using var early = clock.CreateTimer(_ => fired.Add($"early@{(clock.GetUtcNow() - start).TotalMilliseconds}"), null, TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);
        using var never = clock.CreateTimer(_ => fired.Add("never"), null, TimeSpan.FromMilliseconds(100), Timeout.InfiniteTimeSpan);

        clock.Advance(TimeSpan.FromMilliseconds(50));

        Assert.Equal(["early@10", "late@30"], fired);
        Assert.Equal(50, (clock.GetUtcNow() - start).TotalMilliseconds);
    }

    [Fact]
    public void Periodic_timer_fires_once_per_period()
    {
        var clock = new ManualTimeProvider();
        var count = 0;
        using var timer = clock.CreateTimer(_ => count++, null, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10));

        clock.Advance(TimeSpan.FromMilliseconds(35));

        Assert.Equal(3, count);
    }

    [Fact]
    public void Changed_and_disposed_timers_do_not_fire_at_their_old_time()
    {
        var clock = new ManualTimeProvider();
        var fired = new List<string>();
        var moved = clock.CreateTimer(_ => fired.Add("moved"), null, TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);
        var disposed = clock.CreateTimer(_ => fired.Add("disposed"), null, TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan);
        moved.Change(TimeSpan.FromMilliseconds(40), Timeout.InfiniteTimeSpan);
        disposed.Dispose();

        clock.Advance(TimeSpan.FromMilliseconds(20));
        Assert.Empty(fired);
        Assert.Equal(clock.GetUtcNow().AddMilliseconds(20), clock.NextDue);

        clock.Advance(TimeSpan.FromMilliseconds(20));
        Assert.Equal(["moved"], fired);
        Assert.Null(clock.NextDue);
        moved.Dispose();
    }

    [Fact]
    public void Delay_on_the_manual_clock_completes_in_virtual_time()
    {
        var clock = new ManualTimeProvider();
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
        var clock = new ManualTimeProvider();
        var never = new TaskCompletionSource<int>();

        var e = Assert.Throws<InvalidOperationException>(() => VirtualTime.Run(clock, () => never.Task, TimeSpan.FromMilliseconds(50)));

        Assert.Contains("stuck", e.Message, StringComparison.Ordinal);
    }
}
