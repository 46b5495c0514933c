using System.Collections.Immutable;

namespace Fanout;

/// <summary>A key's limits per minute (null: not declared).</summary>
public sealed record KeyLimits
{
    /// <summary>Requests in flight at once.</summary>
    public int? Concurrency { get; init; }

    /// <summary>Requests per minute.</summary>
    public int? Rpm { get; init; }

    /// <summary>Input plus output tokens per minute (OpenAI style).</summary>
    public int? Tpm { get; init; }

    /// <summary>Input tokens per minute (Anthropic style).</summary>
    public int? InputTpm { get; init; }

    /// <summary>Output tokens per minute (Anthropic style).</summary>
    public int? OutputTpm { get; init; }

    /// <summary>How much of each limit may go at once (<c>burst:</c>); null: a minute's worth, as providers grant it.</summary>
    public TimeSpan? Burst { get; init; }

    /// <summary>The window every bucket of this key holds.</summary>
    public TimeSpan Window => Burst ?? TokenBucket.DefaultWindow;

    /// <summary>Requests this key may have going at once: its concurrency, or its burst of requests; null when neither is declared.</summary>
    public int? RequestsAtOnce
    {
        get
        {
            var burst = Rpm is { } rpm ? (int)Math.Min(int.MaxValue, Math.Floor(TokenBucket.CapacityOf(rpm, Window))) : (int?)null;
            return (Concurrency, burst) switch
            {
                ({ } c, { } b) => Math.Min(c, b),
                ({ } c, null) => c,
                (null, { } b) => b,
                _ => null,
            };
        }
    }
}

/// <summary>The keys of one provider, as its configuration declares them: what the report's lower bound holds a run's
/// requests against, and what the run's default concurrency must leave room for.</summary>
/// <param name="Provider">The provider's name (what task results name).</param>
/// <param name="Keys">Each key's declared limits.</param>
/// <param name="UndeclaredAtOnce">Requests at once assumed for a key that declares neither concurrency nor an RPM
/// (a pool that learns its limits lifts its own cap, so the run must not set a lower one); null: none.</param>
public sealed record ProviderLimits(string Provider, ImmutableArray<KeyLimits> Keys, int? UndeclaredAtOnce = null)
{
    /// <summary>Requests all keys may have going at once (keys with nothing declared count as <see cref="UndeclaredAtOnce"/>).</summary>
    public int RequestsAtOnce => (int)Math.Min(int.MaxValue, Keys.Sum(k => (long)(k.RequestsAtOnce ?? UndeclaredAtOnce ?? 0)));
}
