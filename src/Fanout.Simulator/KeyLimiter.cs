namespace Fanout.Simulator;

/// <summary>The state of one limit, as the rate-limit headers report it.</summary>
/// <param name="Limit">Per minute.</param>
/// <param name="Remaining">Available now.</param>
/// <param name="Reset">Time until the bucket is full again.</param>
internal readonly record struct LimitState(long Limit, long Remaining, TimeSpan Reset);

/// <summary>Whether a request was let through, and if not how long until it would be.</summary>
internal readonly record struct Admission(bool Admitted, TimeSpan RetryAfter);

/// <summary>
/// Per-key limits as token buckets of one minute's capacity refilled continuously (what OpenAI and Anthropic
/// describe): requests, combined tokens, input tokens and output tokens. Admission charges the estimate — prompt
/// characters / 4 plus <c>max_tokens</c> — up front, so requests that later fail still count; the output estimate is
/// corrected to the real count when the answer is known. Rejected requests charge nothing. Time comes from the
/// injected clock, so tests drive it by hand.
/// </summary>
internal sealed class KeyLimiter
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Bucket? _requests;
    private readonly Bucket? _tokens;
    private readonly Bucket? _input;
    private readonly Bucket? _output;

    public KeyLimiter(SimulatorKey key, TimeProvider time)
    {
        Key = key;
        _time = time;
        var now = time.GetUtcNow();
        _requests = key.Rpm is { } rpm ? new Bucket(rpm, now) : null;
        _tokens = key.Tpm is { } tpm ? new Bucket(tpm, now) : null;
        _input = key.Itpm is { } itpm ? new Bucket(itpm, now) : null;
        _output = key.Otpm is { } otpm ? new Bucket(otpm, now) : null;
    }

    public SimulatorKey Key { get; }

    public LimitState? Requests => State(_requests);

    public LimitState? Tokens => State(_tokens);

    public LimitState? InputTokens => State(_input);

    public LimitState? OutputTokens => State(_output);

    /// <summary>Admits a request estimated at <paramref name="input"/> + <paramref name="output"/> tokens, charging it, or says how long to wait.</summary>
    public Admission TryAdmit(long input, long output)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var needs = new (Bucket? Bucket, long Amount)[] { (_requests, 1), (_tokens, input + output), (_input, input), (_output, output) };
            var wait = TimeSpan.Zero;
            foreach (var (bucket, amount) in needs)
            {
                if (bucket is not null)
                {
                    var w = bucket.WaitFor(amount, now);
                    wait = w > wait ? w : wait;
                }
            }

            if (wait > TimeSpan.Zero)
            {
                return new Admission(false, wait);
            }

            foreach (var (bucket, amount) in needs)
            {
                bucket?.Take(amount, now);
            }

            return new Admission(true, TimeSpan.Zero);
        }
    }

    /// <summary>Corrects the output charge once the real count is known (it may go below zero: the next request waits).</summary>
    public void Settle(long estimatedOutput, long actualOutput)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var extra = actualOutput - estimatedOutput;
            _tokens?.Take(extra, now);
            _output?.Take(extra, now);
        }
    }

    private LimitState? State(Bucket? bucket)
    {
        if (bucket is null)
        {
            return null;
        }

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            bucket.Refill(now);
            return new LimitState(bucket.Capacity, (long)Math.Max(0, Math.Floor(bucket.Level)), bucket.WaitFor(bucket.Capacity, now));
        }
    }

    private sealed class Bucket(long capacity, DateTimeOffset now)
    {
        private DateTimeOffset _updated = now;

        public long Capacity { get; } = capacity;

        public double Level { get; private set; } = capacity;

        private double PerSecond => Capacity / 60.0;

        public void Refill(DateTimeOffset now)
        {
            if (now > _updated)
            {
                Level = Math.Min(Capacity, Level + (now - _updated).TotalSeconds * PerSecond);
                _updated = now;
            }
        }

        /// <summary>Zero when <paramref name="amount"/> is available; a request larger than the whole minute waits for a full bucket.</summary>
        public TimeSpan WaitFor(long amount, DateTimeOffset now)
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

        public void Take(long amount, DateTimeOffset now)
        {
            Refill(now);
            Level -= amount;
        }
    }
}
