namespace Fanout.Time;

/// <summary>
/// The clock of a virtual-time run: it stands still while work is runnable and, when <see cref="VirtualTime.Run{T}"/>
/// finds the run idle, jumps straight to the next timer. <c>fanout estimate</c> runs the real scheduler on it, and so do
/// the tests that run whole plans.
/// </summary>
/// <remarks>
/// Microsoft.Extensions.TimeProvider.Testing's <c>FakeTimeProvider</c> (which the tests use to move time by hand) cannot
/// serve here: it does not say when its next timer is due, which is the one question a discrete-event driver asks, and
/// its <c>Advance</c> sets the clock to the end of the step before firing, so a timer due inside a step would read the
/// wrong time. Driving it would take a second queue of every timer's due time beside its own — this class again — and
/// would ship a test package in the CLI. So this clock keeps the timer queue itself and has no public way to move.
/// </remarks>
/// <param name="start">Where the clock starts (default 2026-01-01T00:00Z).</param>
public sealed class VirtualClock(DateTimeOffset? start = null) : TimeProvider
{
    private readonly Lock _lock = new();

    // Ties fire in the order they were scheduled. Entries of changed or disposed timers stay queued until they reach
    // the head, where their stale version gives them away.
    private readonly PriorityQueue<(Timer Timer, long Version), (long DueTicks, long Sequence)> _timers = new();
    private long _nowTicks = (start ?? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)).UtcTicks;
    private long _sequence;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => new(GetTimestamp(), TimeSpan.Zero);

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override long GetTimestamp()
    {
        lock (_lock)
        {
            return _nowTicks;
        }
    }

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new Timer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>
    /// Moves the clock to the earliest timer's due time and fires every timer due then (those their callbacks schedule
    /// for the same instant too), in due order, before <see cref="VirtualTime"/> runs anything they post — so the
    /// scheduler's loop sees every attempt that finished at an instant before it dispatches more. False when none is
    /// scheduled.
    /// </summary>
    internal bool AdvanceToNextTimer()
    {
        long? instant = null;
        while (true)
        {
            Timer timer;
            lock (_lock)
            {
                while (_timers.TryPeek(out var head, out _) && head.Version != head.Timer.Version)
                {
                    _timers.Dequeue();
                }

                if (!_timers.TryPeek(out var entry, out var due))
                {
                    return instant is not null;
                }

                instant ??= Math.Max(due.DueTicks, _nowTicks);
                if (due.DueTicks > instant)
                {
                    return true;
                }

                _timers.Dequeue();
                _nowTicks = instant.Value;
                timer = entry.Timer;
                if (timer.Period > TimeSpan.Zero)
                {
                    Schedule(timer, timer.Period);
                }
            }

            timer.Fire();
        }
    }

    /// <summary>Queues <paramref name="timer"/> to fire after <paramref name="due"/> (never when null), replacing any
    /// earlier schedule. Called under the lock.</summary>
    private void Schedule(Timer timer, TimeSpan? due)
    {
        timer.Version++;
        if (due is { } delay)
        {
            _timers.Enqueue((timer, timer.Version), (_nowTicks + delay.Ticks, _sequence++));
        }
    }

    private sealed class Timer(VirtualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private bool _disposed;

        public long Version { get; set; }

        public TimeSpan Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            ThrowIfInvalid(dueTime, nameof(dueTime));
            ThrowIfInvalid(period, nameof(period));
            lock (clock._lock)
            {
                if (_disposed)
                {
                    return false;
                }

                Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
                clock.Schedule(this, dueTime == Timeout.InfiniteTimeSpan ? null : dueTime);
                return true;
            }
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (clock._lock)
            {
                _disposed = true;
                clock.Schedule(this, null);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        // As System.Threading.Timer: a negative time other than Infinite is the caller's bug, not "now".
        private static void ThrowIfInvalid(TimeSpan time, string name)
        {
            if (time < TimeSpan.Zero && time != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(name, time, "must be Timeout.InfiniteTimeSpan or not negative");
            }
        }
    }
}
