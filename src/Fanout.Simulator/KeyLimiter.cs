using Fanout.Providers.Pools;

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
    // Providers meter per minute and let a whole minute's allowance go at once; the client-side pools hold a
    // second's worth so they spread their requests. Same bucket, different burst.
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

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
            var needs = new (TokenBucket? Bucket, long Amount)[] { (_requests, 1), (_tokens, input + output), (_input, input), (_output, output) };
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

    private LimitState? State(TokenBucket? bucket)
    {
        if (bucket is null)
        {
            return null;
        }

        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var reset = bucket.WaitFor(bucket.Capacity, now); // refills first, so the level below is current
            return new LimitState((long)bucket.Capacity, (long)Math.Max(0, Math.Floor(bucket.Level)), reset);
        }
    }
}
