namespace Fanout.Time;

/// <summary>
/// A clock that only moves when told to. Stands in for Microsoft.Extensions.TimeProvider.Testing's
/// FakeTimeProvider, which the package mirror does not carry. Timer callbacks run synchronously inside
/// <see cref="Advance"/>, in due order, with the clock set to each timer's due time.
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly PriorityQueue<(ManualTimer Timer, long Generation), (long DueTicks, long Sequence)> _timers = new();
    private DateTimeOffset _now;
    private long _sequence;

    /// <summary>Starts the clock at <paramref name="start"/> (default 2026-01-01T00:00Z).</summary>
    public ManualTimeProvider(DateTimeOffset? start = null)
    {
        _now = start ?? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>When the next timer is due, or null when none is scheduled.</summary>
    public DateTimeOffset? NextDue
    {
        get
        {
            lock (_lock)
            {
                PruneCancelled();
                return _timers.TryPeek(out _, out var due) ? new DateTimeOffset(due.DueTicks, TimeSpan.Zero) : null;
            }
        }
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>Moves the clock forward by <paramref name="delta"/>, firing every timer that falls due.</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        DateTimeOffset target;
        lock (_lock)
        {
            target = _now + delta;
        }

        while (true)
        {
            ManualTimer timer;
            lock (_lock)
            {
                PruneCancelled();
                if (!_timers.TryPeek(out var entry, out var due) || due.DueTicks > target.UtcTicks)
                {
                    _now = target;
                    return;
                }

                timer = entry.Timer;
                _timers.Dequeue();
                _now = new DateTimeOffset(Math.Max(due.DueTicks, _now.UtcTicks), TimeSpan.Zero);
                timer.Scheduled = false;
                if (timer.Period > TimeSpan.Zero)
                {
                    Schedule(timer, _now + timer.Period);
                }
            }

            timer.Fire();
        }
    }

    /// <summary>Advances to the next due timer and fires it (and any due at the same instant). False when none.</summary>
    public bool AdvanceToNextTimer()
    {
        var next = NextDue;
        if (next is null)
        {
            return false;
        }

        var delta = next.Value - GetUtcNow();
        Advance(delta < TimeSpan.Zero ? TimeSpan.Zero : delta);
        return true;
    }

    private void Schedule(ManualTimer timer, DateTimeOffset due)
    {
        timer.Scheduled = true;
        timer.Generation++;
        _timers.Enqueue((timer, timer.Generation), (due.UtcTicks, _sequence++));
    }

    /// <summary>Drops queue entries of disposed timers and entries superseded by a later <c>Change</c>.</summary>
    private void PruneCancelled()
    {
        while (_timers.TryPeek(out var entry, out _)
               && (entry.Timer.Disposed || !entry.Timer.Scheduled || entry.Generation != entry.Timer.Generation))
        {
            _timers.Dequeue();
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public bool Scheduled { get; set; }

        public bool Disposed { get; private set; }

        public long Generation { get; set; }

        public TimeSpan Period { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._lock)
            {
                if (Disposed)
                {
                    return false;
                }

                Period = period == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : period;
                Scheduled = false;
                Generation++;
                if (dueTime != Timeout.InfiniteTimeSpan)
                {
                    owner.Schedule(this, owner._now + (dueTime < TimeSpan.Zero ? TimeSpan.Zero : dueTime));
                }

                return true;
            }
        }

        public void Fire() => callback(state);

        public void Dispose()
        {
            lock (owner._lock)
            {
                Disposed = true;
                Scheduled = false;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
