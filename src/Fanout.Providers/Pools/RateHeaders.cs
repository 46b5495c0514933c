using System.Globalization;

namespace Fanout.Providers.Pools;

/// <summary>One limit as a response's headers report it.</summary>
/// <param name="Limit">The limit per minute, when sent.</param>
/// <param name="Remaining">What is left now, when sent.</param>
/// <param name="Reset">Time until it is replenished, when sent.</param>
internal readonly record struct LimitHeader(long? Limit, long? Remaining, TimeSpan? Reset);

/// <summary>What a response's rate-limit headers say (OpenAI <c>x-ratelimit-*</c>, Anthropic <c>anthropic-ratelimit-*</c>, <c>retry-after</c>).</summary>
internal sealed record RateSnapshot(int Status, TimeSpan? RetryAfter, LimitHeader? Requests, LimitHeader? Tokens, LimitHeader? InputTokens, LimitHeader? OutputTokens)
{
    /// <summary>
    /// How long a 429 asks to wait: <c>retry-after-ms</c> / <c>retry-after</c> first, else the latest reset among
    /// exhausted limits, else the latest reset of any limit; null when the response says nothing.
    /// </summary>
    public TimeSpan? Cooldown
    {
        get
        {
            if (RetryAfter is { } wait)
            {
                return wait;
            }

            LimitHeader?[] all = [Requests, Tokens, InputTokens, OutputTokens];
            var exhausted = all.Where(l => l is { Remaining: <= 0, Reset: not null }).Select(l => l!.Value.Reset!.Value).ToList();
            var pool = exhausted.Count > 0 ? exhausted : [.. all.Where(l => l?.Reset is not null).Select(l => l!.Value.Reset!.Value)];
            return pool.Count > 0 ? pool.Max() : null;
        }
    }
}

/// <summary>Parses rate-limit headers. One place for every format providers use.</summary>
internal static class RateHeaders
{
    /// <summary>Reads every rate-limit header of a response; <paramref name="now"/> turns HTTP dates and RFC 3339 instants into waits.</summary>
    public static RateSnapshot Parse(int status, Func<string, string?> header, DateTimeOffset now) => new(
        status,
        RetryAfter(header, now),
        OpenAI(header, "requests") ?? Anthropic(header, "requests", now),
        OpenAI(header, "tokens") ?? Anthropic(header, "tokens", now),
        Anthropic(header, "input-tokens", now),
        Anthropic(header, "output-tokens", now));

    /// <summary><c>retry-after-ms</c>, else <c>retry-after</c> in seconds, else (when <paramref name="now"/> is known) as an HTTP date.</summary>
    public static TimeSpan? RetryAfter(Func<string, string?> header, DateTimeOffset? now)
    {
        if (Number(header("retry-after-ms")) is { } ms && ms >= 0)
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        var value = header("retry-after")?.Trim();
        if (Number(value) is { } seconds && seconds >= 0)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (now is { } at && value is not null
            && DateTimeOffset.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var wait = date - at;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    /// <summary>
    /// A Go <c>time.Duration</c> string as OpenAI's reset headers write it (<c>1m6s</c>, <c>250ms</c>, <c>1.5s</c>,
    /// <c>2h0m0s</c>, <c>800us</c>); a bare number is seconds. Null when it is not one.
    /// </summary>
    public static TimeSpan? GoDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var s = text.Trim();
        if (Number(s) is { } bare)
        {
            return TimeSpan.FromSeconds(bare);
        }

        double total = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (i == start || !double.TryParse(s[start..i], NumberStyles.Float, CultureInfo.InvariantCulture, out var amount))
            {
                return null;
            }

            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }

            double? perUnit = s[unitStart..i] switch
            {
                "h" => 3_600_000,
                "m" => 60_000,
                "s" => 1_000,
                "ms" => 1,
                "us" or "µs" => 0.001,
                "ns" => 0.000_001,
                _ => null,
            };
            if (perUnit is not { } factor)
            {
                return null;
            }

            total += amount * factor;
        }

        return TimeSpan.FromMilliseconds(total);
    }

    private static LimitHeader? OpenAI(Func<string, string?> header, string name)
    {
        var limit = Integer(header($"x-ratelimit-limit-{name}"));
        var remaining = Integer(header($"x-ratelimit-remaining-{name}"));
        var reset = GoDuration(header($"x-ratelimit-reset-{name}"));
        return limit is null && remaining is null && reset is null ? null : new LimitHeader(limit, remaining, reset);
    }

    private static LimitHeader? Anthropic(Func<string, string?> header, string name, DateTimeOffset now)
    {
        var limit = Integer(header($"anthropic-ratelimit-{name}-limit"));
        var remaining = Integer(header($"anthropic-ratelimit-{name}-remaining"));
        TimeSpan? reset = null;
        if (header($"anthropic-ratelimit-{name}-reset") is { } instant
            && DateTimeOffset.TryParse(instant, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            reset = at > now ? at - now : TimeSpan.Zero;
        }

        return limit is null && remaining is null && reset is null ? null : new LimitHeader(limit, remaining, reset);
    }

    private static double? Number(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static long? Integer(string? text) => Number(text) is { } value ? (long)value : null;
}
