namespace Fanout;

/// <summary>
/// A per-minute limit as providers meter it: a bucket of <see cref="Capacity"/> refilled continuously at the limit's
/// rate. Admission reserves a request's estimate up front, the reservation is corrected when the answer is known
/// (unused output refunded), and the time until admission is what a <c>retry-after</c> says. The one implementation
/// of that rule: Fanout's key pools pace with it, the simulator's per-key limits meter with it, and the report's lower
/// bound asks it how long a run's requests must take. Not thread-safe: its owner's lock guards it.
/// </summary>
public sealed class TokenBucket
{
    /// <summary>What providers let go at once: a whole minute's allowance, granted up front.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromMinutes(1);

    private DateTimeOffset _updated;
    private bool _unseen;

    /// <summary>A bucket for <paramref name="perMinute"/> holding <paramref name="window"/> of it, starting at
    /// <paramref name="level"/> (default full).</summary>
    public TokenBucket(double perMinute, TimeSpan window, DateTimeOffset now, double? level = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perMinute);
        PerMinute = perMinute;
        Capacity = CapacityOf(perMinute, window);
        Level = Math.Min(Capacity, level ?? Capacity);
        _updated = now;
    }

    /// <summary>
    /// A client's copy of a provider's bucket: a charge taken from a full bucket refills only from <see cref="Seen"/>,
    /// because the provider's bucket stays full until the request arrives there and refills from then, not from the
    /// moment the client granted it (a burst of cold connections can take a while to arrive).
    /// </summary>
    public bool RefillsFromArrival { get; init; }

    /// <summary>The limit per minute.</summary>
    public double PerMinute { get; }

    /// <summary>The most the bucket holds.</summary>
    public double Capacity { get; }

    /// <summary>Available as of the last call (negative: in debt).</summary>
    public double Level { get; private set; }


    /// <summary>How long an empty bucket takes to fill: the longest any admission waits.</summary>
    public TimeSpan RefillTime => TimeSpan.FromSeconds(Capacity / PerSecond);

    private double PerSecond => PerMinute / 60;

    /// <summary>The capacity of a bucket for <paramref name="perMinute"/> holding <paramref name="window"/> of it (at least 1).</summary>
    public static double CapacityOf(double perMinute, TimeSpan window) => Math.Max(1, perMinute / 60 * window.TotalSeconds);

    /// <summary>
    /// How long until charges adding up to <paramref name="total"/> are all admitted by buckets holding
    /// <paramref name="capacity"/> and refilled at <paramref name="perMinute"/>, starting full: the last is admitted
    /// once the capacity plus what refilled covers the total.
    /// </summary>
    public static TimeSpan TimeToAdmit(double total, double capacity, double perMinute)
    {
        var wait = (total - capacity) / (perMinute / 60);
        return wait > 0 ? TimeSpan.FromSeconds(wait) : TimeSpan.Zero;
    }

    /// <summary>Whether a charge of <paramref name="amount"/> can ever be admitted: not when it exceeds both the bucket
    /// and the limit per minute (a bucket smaller than a minute lets a larger request go into debt).</summary>
    public bool CanEverAdmit(double amount) => amount <= Math.Max(Capacity, PerMinute);

    /// <summary>
    /// How long until <paramref name="amount"/> (capped at the capacity) is available; zero when it is now. Never more
    /// than <see cref="RefillTime"/>, so a bucket in debt names the time it is full again rather than a longer one.
    /// </summary>
    public TimeSpan TimeUntilAdmit(double amount, DateTimeOffset now)
    {
        Refill(now);
        var need = Math.Min(amount, Capacity);
        if (Level >= need)
        {
            return TimeSpan.Zero;
        }

        // Rounded up to the millisecond so that waiting exactly this long is enough.
        var wait = TimeSpan.FromMilliseconds(Math.Ceiling((need - Level) / PerSecond * 1000));
        var most = TimeSpan.FromMilliseconds(Math.Ceiling(RefillTime.TotalMilliseconds));
        return wait < most ? wait : most;
    }

    /// <summary>Reserves <paramref name="amount"/> now (the level may go below zero: later requests wait it out).</summary>
    public void Reserve(double amount, DateTimeOffset now) => Charge(amount, now);

    /// <summary>Corrects a reservation of <paramref name="reserved"/> to what was <paramref name="used"/>: the
    /// difference is refunded (never above capacity) or, when more was used, charged.</summary>
    public void Settle(double reserved, double used, DateTimeOffset now) => Charge(used - reserved, now);

    /// <summary>The provider has answered a request: a charge taken from a full bucket has arrived, and refills from now.</summary>
    public void Seen(DateTimeOffset now)
    {
        Refill(now);
        _unseen = false;
    }

    /// <summary>
    /// Brings the level down to what a provider reported, when that is less: <paramref name="remaining"/> as of
    /// <paramref name="observedAt"/> (when the request was sent) plus what refilled since — the most the provider can
    /// hold now. Never up, and nothing granted since is subtracted: an answer cannot tell which of the requests granted
    /// around it had reached the provider (a burst queues on its way there), and counting them twice starves the pool.
    /// </summary>
    public void Correct(double remaining, DateTimeOffset observedAt, DateTimeOffset now)
    {
        Refill(now);
        var age = now > observedAt ? (now - observedAt).TotalSeconds : 0;
        Level = Math.Min(Level, remaining + age * PerSecond);
    }

    /// <summary>The fraction still available, for least-loaded routing.</summary>
    public double Headroom(DateTimeOffset now)
    {
        Refill(now);
        return Level / Capacity;
    }

    /// <summary>Time until the bucket is full again.</summary>
    public TimeSpan UntilFull(DateTimeOffset now) => TimeUntilAdmit(Capacity, now);

    private void Charge(double amount, DateTimeOffset now)
    {
        Refill(now);
        _unseen |= RefillsFromArrival && amount > 0 && Level >= Capacity;
        Level = Math.Min(Capacity, Level - amount);
    }

    private void Refill(DateTimeOffset now)
    {
        if (now > _updated)
        {
            if (!_unseen)
            {
                Level = Math.Min(Capacity, Level + (now - _updated).TotalSeconds * PerSecond);
            }

            _updated = now;
        }
    }
}
