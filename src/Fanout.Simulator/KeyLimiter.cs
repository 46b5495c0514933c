namespace Fanout.Simulator;

/// <summary>The state of one limit, as the rate-limit headers report it.</summary>
/// <param name="Limit">Per minute.</param>
/// <param name="Remaining">Available now.</param>
/// <param name="Reset">Time until the bucket is full again.</param>
internal readonly record struct LimitState(long Limit, long Remaining, TimeSpan Reset);

/// <summary>Whether a request was let through, and if not how long until it would be, or why it never will.</summary>
/// <param name="Admitted">Let through and charged.</param>
/// <param name="RetryAfter">Time until the key's buckets can admit it.</param>
/// <param name="TooLarge">Set when it exceeds one of the key's limits outright: no wait would let it through.</param>
internal readonly record struct Admission(bool Admitted, TimeSpan RetryAfter, string? TooLarge = null);

/// <summary>
/// Per-key limits as token buckets of one minute's capacity refilled continuously (what OpenAI and Anthropic
/// describe): requests, combined tokens, input tokens and output tokens. Admission charges the estimate — prompt
/// characters / 4 plus <c>max_tokens</c> — up front, so requests that later fail still count; the output estimate is
/// corrected to the real count when the answer is known (unused output refunded). Rejected requests charge nothing;
/// their <c>retry-after</c> is the time until the buckets can admit them, and one larger than a limit allows is
/// refused as too large instead. The bucket rule is core's <see cref="TokenBucket"/>, the one Fanout's pools pace
/// with. Time comes from the injected clock, so tests drive it by hand.
/// </summary>
internal sealed class KeyLimiter
{
    // Providers meter per minute and let a whole minute's allowance go at once.
    private static readonly TimeSpan Window = TokenBucket.DefaultWindow;

    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly TokenBucket? _requests;
    private readonly TokenBucket? _tokens;
    private readonly TokenBucket? _input;
    private readonly TokenBucket? _output;

    public KeyLimiter(SimulatorKey key, TimeProvider time)
    {
        Key = key;
        _time = time;
        var now = time.GetUtcNow();
        _requests = key.Rpm is { } rpm ? new TokenBucket(rpm, Window, now) : null;
        _tokens = key.Tpm is { } tpm ? new TokenBucket(tpm, Window, now) : null;
        _input = key.Itpm is { } itpm ? new TokenBucket(itpm, Window, now) : null;
        _output = key.Otpm is { } otpm ? new TokenBucket(otpm, Window, now) : null;
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
            var needs = new (TokenBucket? Bucket, long Amount, string Name)[]
            {
                (_requests, 1, "requests"), (_tokens, input + output, "tokens"), (_input, input, "input tokens"), (_output, output, "output tokens"),
            };
            var wait = TimeSpan.Zero;
            foreach (var (bucket, amount, name) in needs)
            {
                if (bucket is null)
                {
                    continue;
                }

                if (!bucket.CanEverAdmit(amount))
                {
                    return new Admission(false, TimeSpan.Zero,
                        $"Request too large for key '{Key.Alias}' (simulated): {name} per minute limit {bucket.PerMinute:0}, requested {amount}.");
                }

                var w = bucket.TimeUntilAdmit(amount, now);
                wait = w > wait ? w : wait;
            }

            if (wait > TimeSpan.Zero)
            {
                return new Admission(false, wait);
            }

            foreach (var (bucket, amount, _) in needs)
            {
                bucket?.Reserve(amount, now);
            }

            return new Admission(true, TimeSpan.Zero);
        }
    }

    /// <summary>Corrects the output charge once the real count is known: unused output is refunded, and more than
    /// reserved is charged (the level may go below zero: the next request waits).</summary>
    public void Settle(long estimatedOutput, long actualOutput)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            _tokens?.Settle(estimatedOutput, actualOutput, now);
            _output?.Settle(estimatedOutput, actualOutput, now);
        }
    }

    private LimitState? State(TokenBucket? bucket)
    {
        if (bucket is null)
        {
            return null;
        }

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var reset = bucket.UntilFull(now); // refills first, so the level below is current
            return new LimitState((long)bucket.Capacity, (long)Math.Max(0, Math.Floor(bucket.Level)), reset);
        }
    }
}
