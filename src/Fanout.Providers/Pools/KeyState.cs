namespace Fanout.Providers.Pools;

/// <summary>
/// The live state of one key: its buckets, in-flight count, concurrency cap (AIMD in adaptive mode), cooldown,
/// circuit breaker and counters. Not thread-safe: every member is called under the owning pool's lock.
/// </summary>
internal sealed class KeyState
{
    /// <summary>The most requests an adaptive key without a declared concurrency has in flight.</summary>
    public const int AdaptiveCeiling = 1024;

    private readonly PoolOptions _options;
    private readonly int _ceiling;
    private int _consecutiveFailures;
    private int _successesAtCap;
    private bool _probing;
    private bool _limitsKnown;
    private long _inFlightInput;
    private long _inFlightOutput;

    public KeyState(PoolKey key, int index, PoolOptions options, DateTimeOffset now)
    {
        Key = key;
        Index = index;
        _options = options;
        var limits = key.Limits;
        Requests = Bucket(limits.Rpm, now);
        Tokens = Bucket(limits.Tpm, now);
        Input = Bucket(limits.InputTpm, now);
        Output = Bucket(limits.OutputTpm, now);
        _ceiling = limits.Concurrency ?? (options.Adaptive ? AdaptiveCeiling : int.MaxValue);
        // Adaptive mode starts low only while it knows nothing: declared limits already pace the key.
        _limitsKnown = (Requests ?? Tokens ?? Input ?? Output) is not null;
        Cap = options.Adaptive && !_limitsKnown ? Math.Min(_ceiling, Math.Max(1, options.AdaptiveStart)) : _ceiling;
    }

    public PoolKey Key { get; }

    public int Index { get; }

    public string Alias => Key.Alias;

    public TokenBucket? Requests { get; private set; }

    public TokenBucket? Tokens { get; private set; }

    public TokenBucket? Input { get; private set; }

    public TokenBucket? Output { get; private set; }

    /// <summary>Requests allowed in flight now.</summary>
    public int Cap { get; private set; }

    public int InFlight { get; private set; }

    /// <summary>A request has reserved ahead on this key and not been sent yet: no second one may, so that tokens
    /// returned meanwhile (unused <c>max_tokens</c>) go to requests that fit rather than to a pre-booked schedule.</summary>
    public bool ReservedAhead { get; set; }

    public DateTimeOffset CoolingUntil { get; private set; }

    public DateTimeOffset? BreakerOpenUntil { get; private set; }

    /// <summary>Why the key is out for the rest of the run (a 401), or null.</summary>
    public string? Disabled { get; private set; }

    public long Sent { get; private set; }

    public long Succeeded { get; private set; }

    public long RateLimited { get; private set; }

    public long Failed { get; private set; }

    public long BreakerOpened { get; private set; }

    /// <summary>Not disabled and its breaker not open: a sticky task keeps to it.</summary>
    public bool Healthy(DateTimeOffset now) => Disabled is null && !(BreakerOpenUntil > now);

    /// <summary>
    /// How long until this key can take <paramref name="estimate"/>: zero now; null when only a finishing request can
    /// free it (disabled, concurrency full, or its half-open probe still in flight).
    /// </summary>
    public TimeSpan? WaitFor(RequestEstimate estimate, DateTimeOffset now)
    {
        if (Disabled is not null || InFlight >= Cap || (_probing && BreakerOpenUntil <= now))
        {
            return null;
        }

        var wait = Max(TimeSpan.Zero, BreakerOpenUntil is { } open ? open - now : TimeSpan.Zero);
        wait = Max(wait, CoolingUntil - now);
        foreach (var (bucket, amount) in Needs(estimate))
        {
            wait = Max(wait, bucket.TimeUntilAdmit(amount + bucket.PerMinute / 60 * _options.Slack.TotalSeconds, now));
        }

        return wait;
    }

    /// <summary>The smallest fraction left across its buckets and its concurrency, for least-loaded routing.</summary>
    public double Headroom(DateTimeOffset now)
    {
        var headroom = Cap == int.MaxValue ? 1.0 : 1.0 - (double)InFlight / Cap;
        foreach (var bucket in new[] { Requests, Tokens, Input, Output })
        {
            if (bucket is not null)
            {
                headroom = Math.Min(headroom, bucket.Headroom(now));
            }
        }

        return headroom;
    }

    public void Reserve(RequestEstimate estimate, DateTimeOffset now)
    {
        foreach (var (bucket, amount) in Needs(estimate))
        {
            bucket.Reserve(amount, now);
        }

        InFlight++;
        _inFlightInput += estimate.Input;
        _inFlightOutput += estimate.Output;
        Sent++;
        if (BreakerOpenUntil <= now)
        {
            _probing = true;
        }
    }


    /// <summary>
    /// A request finished. Its reservation stays charged (providers count failed requests too, and a refused one
    /// keeps its charge so the pool stays behind the provider); with usage, the output part is corrected to what was
    /// produced (unused <c>max_tokens</c> refunded), as providers settle it.
    /// </summary>
    public void Release(RequestEstimate estimate, long? actualOutput, DateTimeOffset now)
    {
        InFlight--;
        _inFlightInput -= estimate.Input;
        _inFlightOutput -= estimate.Output;
        foreach (var bucket in new[] { Requests, Tokens, Input, Output })
        {
            bucket?.Seen(now);
        }

        if (actualOutput is { } output)
        {
            Tokens?.Settle(estimate.Output, output, now);
            Output?.Settle(estimate.Output, output, now);
        }
    }

    /// <summary>Why this key can never take <paramref name="estimate"/> (larger than one of its limits allows), or null.</summary>
    public string? NeverFits(RequestEstimate estimate)
    {
        foreach (var (bucket, amount) in Needs(estimate))
        {
            if (!bucket.CanEverAdmit(amount))
            {
                return $"key '{Alias}' allows {bucket.PerMinute:0} per minute and this request needs {amount:0} " +
                    "(prompt plus max_tokens): lower max_tokens or shorten the prompt";
            }
        }

        return null;
    }

    public void Success()
    {
        Succeeded++;
        _consecutiveFailures = 0;
        BreakerOpenUntil = null;
        _probing = false;
        if (_options.Adaptive && Cap < _ceiling && ++_successesAtCap >= Cap)
        {
            // Additive increase: one more slot per window of Cap successes.
            Cap++;
            _successesAtCap = 0;
        }
    }

    /// <summary>A failure that says something about the key's health (5xx, timeout, reset): feeds the breaker.</summary>
    public void Failure(DateTimeOffset now)
    {
        Failed++;
        _consecutiveFailures++;
        if (_probing || _consecutiveFailures >= _options.BreakerThreshold)
        {
            BreakerOpenUntil = now + _options.BreakerOpen;
            BreakerOpened++;
        }

        _probing = false;
    }

    /// <summary>A 429 on this key: cool down (never shortening a cooldown in force); in adaptive mode halve the concurrency.</summary>
    public void Throttled(TimeSpan? wait, DateTimeOffset now)
    {
        RateLimited++;
        _probing = false;
        Cool(wait ?? (CoolingUntil > now ? TimeSpan.Zero : _options.DefaultCooldown), now);
        if (_options.Adaptive)
        {
            Cap = Math.Max(1, Cap / 2);
            _successesAtCap = 0;
        }
    }

    public void Cool(TimeSpan wait, DateTimeOffset now)
    {
        var until = now + wait;
        if (until > CoolingUntil)
        {
            CoolingUntil = until;
        }
    }

    public void Disable(string reason) => Disabled ??= reason;

    /// <summary>
    /// What a response to a request sent at <paramref name="sentAt"/> says: a 429's wait cools the key; each bucket's
    /// level comes down to what the provider reports remaining, brought up to now (never up: a refused request keeps
    /// its charge); in adaptive mode, limits the plan did not declare are learnt and, once they are, the concurrency
    /// cap is lifted (the buckets pace the key from then on).
    /// </summary>
    public void Observe(RateSnapshot snapshot, DateTimeOffset sentAt, DateTimeOffset now)
    {
        if (snapshot.Status == 429 && snapshot.Cooldown is { } wait)
        {
            Cool(wait, now);
        }

        Requests = Learn(Requests, snapshot.Requests, InFlight - 1, sentAt, now);
        Tokens = Learn(Tokens, snapshot.Tokens, _inFlightInput + _inFlightOutput, sentAt, now);
        Input = Learn(Input, snapshot.InputTokens, _inFlightInput, sentAt, now);
        Output = Learn(Output, snapshot.OutputTokens, _inFlightOutput, sentAt, now);
        if (_options.Adaptive && !_limitsKnown && (Requests ?? Tokens ?? Input ?? Output) is not null)
        {
            _limitsKnown = true;
            Cap = _ceiling;
            _successesAtCap = 0;
        }
    }

    // inFlight: what the requests still in flight were charged (the provider may not have seen them yet).
    private TokenBucket? Learn(TokenBucket? bucket, LimitHeader? header, double inFlight, DateTimeOffset sentAt, DateTimeOffset now)
    {
        if (header is not { } h)
        {
            return bucket;
        }

        if (bucket is null && _options.Adaptive && h.Limit is { } limit && limit > 0)
        {
            // What remained, with no credit for refill since (the provider may have admitted the request just now),
            // less what is in flight (the provider may not have seen it yet; this request's own share errs safe).
            return new TokenBucket(limit, Key.Limits.Burst ?? _options.Burst, now, (h.Remaining ?? limit) - Math.Max(0, inFlight)) { RefillsFromArrival = true };
        }

        if (bucket is not null && h.Remaining is { } remaining)
        {
            bucket.Correct(remaining, sentAt, now);
        }

        return bucket;
    }

    private IEnumerable<(TokenBucket Bucket, double Amount)> Needs(RequestEstimate estimate)
    {
        if (Requests is not null)
        {
            yield return (Requests, 1);
        }

        if (Tokens is not null)
        {
            yield return (Tokens, estimate.Total);
        }

        if (Input is not null)
        {
            yield return (Input, estimate.Input);
        }

        if (Output is not null)
        {
            yield return (Output, estimate.Output);
        }
    }

    private TokenBucket? Bucket(int? perMinute, DateTimeOffset now) =>
        perMinute is { } limit && limit > 0 ? new TokenBucket(limit, Key.Limits.Burst ?? _options.Burst, now) { RefillsFromArrival = true } : null;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}

