namespace Fanout;

/// <summary>
/// How often and how patiently a task is retried. Backoff is exponential with full jitter
/// (AWS architecture blog, "Exponential Backoff And Jitter"): attempt <c>n</c> waits a uniformly random
/// time in <c>[0, min(MaxDelay, BaseDelay·2^(n-1))]</c>, which spreads retries of many tasks failing together.
/// </summary>
public sealed record RetryPolicy
{
    /// <summary>The default: 3 attempts, 1 s base delay, 30 s cap.</summary>
    public static RetryPolicy Default { get; } = new();

    /// <summary>No retries.</summary>
    public static RetryPolicy None { get; } = new() { MaxAttempts = 1 };

    /// <summary>Total attempts including the first (≥ 1). Default 3.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Base of the exponential backoff. Default 1 s.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap of the backoff. Default 30 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether to apply full jitter. Default true; off gives the deterministic ceiling.</summary>
    public bool Jitter { get; init; } = true;

    /// <summary>The delay before retry number <paramref name="retry"/> (1 for the first retry).</summary>
    /// <param name="retry">1-based retry number.</param>
    /// <param name="random">Source of jitter; seeded in tests.</param>
    public TimeSpan DelayFor(int retry, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        ArgumentNullException.ThrowIfNull(random);
        var exponent = Math.Min(retry - 1, 30);
        var ceiling = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, exponent));
        var ms = Jitter ? random.NextDouble() * ceiling : ceiling;
        return TimeSpan.FromMilliseconds(ms);
    }
}
