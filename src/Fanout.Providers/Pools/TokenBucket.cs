namespace Fanout.Providers.Pools;

/// <summary>
/// A per-minute limit as a continuously refilled bucket holding only <c>burst</c> worth of it (about a second), so
/// requests spread over the minute instead of all going at its start. A request larger than the bucket waits for a
/// full bucket and then takes it into debt, which later requests wait out. Not thread-safe: its owner's lock guards it
/// (a key pool's, or the simulator's key limiter, which uses a whole minute as the burst, as providers do).
/// </summary>
internal sealed class TokenBucket
{
    private DateTimeOffset _updated;

    public TokenBucket(double perMinute, TimeSpan burst, DateTimeOffset now, double? level = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perMinute);
        PerMinute = perMinute;
        Capacity = Math.Max(1, perMinute / 60 * burst.TotalSeconds);
        Level = Math.Min(Capacity, level ?? Capacity);
        _updated = now;
    }

    /// <summary>The limit per minute.</summary>
    public double PerMinute { get; }

    /// <summary>The most the bucket holds.</summary>
    public double Capacity { get; }

    /// <summary>Available now (negative: in debt).</summary>
    public double Level { get; private set; }

    private double PerSecond => PerMinute / 60;

    /// <summary>How long until <paramref name="amount"/> (capped at the capacity) is available; zero when it is now.</summary>
    public TimeSpan WaitFor(double amount, DateTimeOffset now)
    {
        Refill(now);
        var need = Math.Min(amount, Capacity);
        if (Level >= need)
        {
            return TimeSpan.Zero;
        }

        // Rounded up to the millisecond so that waiting exactly this long is enough.
        return TimeSpan.FromMilliseconds(Math.Ceiling((need - Level) / PerSecond * 1000));
    }

    /// <summary>Takes <paramref name="amount"/> (negative gives back, never above capacity).</summary>
    public void Take(double amount, DateTimeOffset now)
    {
        Refill(now);
        Level = Math.Min(Capacity, Level - amount);
    }

    /// <summary>Lowers the level to <paramref name="remaining"/> when the provider reports less than the bucket holds.</summary>
    public void Cap(double remaining, DateTimeOffset now)
    {
        Refill(now);
        Level = Math.Min(Level, remaining);
    }

    /// <summary>The fraction still available, for least-loaded routing.</summary>
    public double Headroom(DateTimeOffset now)
    {
        Refill(now);
        return Level / Capacity;
    }

    private void Refill(DateTimeOffset now)
    {
        if (now > _updated)
        {
            Level = Math.Min(Capacity, Level + (now - _updated).TotalSeconds * PerSecond);
            _updated = now;
        }
    }
}
