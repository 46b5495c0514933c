using System.Collections.Immutable;
using System.Text.Json;

namespace Fanout;

/// <summary>Tokens consumed by one call or summed over many.</summary>
/// <param name="Input">Prompt tokens, including cached ones.</param>
/// <param name="Output">Completion tokens.</param>
/// <param name="CachedInput">Prompt tokens served from the provider's cache.</param>
public readonly record struct TokenUsage(long Input, long Output, long CachedInput = 0)
{
    /// <summary>Sum of two usages.</summary>
    public static TokenUsage operator +(TokenUsage a, TokenUsage b) =>
        new(a.Input + b.Input, a.Output + b.Output, a.CachedInput + b.CachedInput);

    /// <summary>Same as <c>+</c>, for languages without operators.</summary>
    public static TokenUsage Add(TokenUsage a, TokenUsage b) => a + b;
}

/// <summary>What one successful attempt produced, with its accounting.</summary>
public sealed record TaskResult
{
    /// <summary>The task's output (JSON null when it has none).</summary>
    public JsonElement Output { get; init; }

    /// <summary>Tokens used, for LLM tasks.</summary>
    public TokenUsage? Tokens { get; init; }

    /// <summary>Cost in US dollars, when known.</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>Provider name that served the call.</summary>
    public string? Provider { get; init; }

    /// <summary>Model that served the call.</summary>
    public string? Model { get; init; }

    /// <summary>Alias of the key used (never the key itself).</summary>
    public string? Key { get; init; }

    /// <summary>Kind-specific facts for the report (a process's exit code and stderr, a prompt's finish reason).</summary>
    public JsonElement? Details { get; init; }

    /// <summary>Files the attempt wrote (generated images…), relative to the run's output directory, '/'-separated.</summary>
    public ImmutableArray<string> Artifacts { get; init; } = [];

    /// <summary>The result-cache key this result may be stored under (set by <see cref="CachingExecutor"/> on a miss).</summary>
    public string? CacheKey { get; init; }

    /// <summary>How long the attempt was held back by a provider's rate limits before its request went out: the
    /// report counts it as the task's wait, not its duration.</summary>
    public TimeSpan Held { get; init; }

    /// <summary>Whether this result was reused from the result cache instead of being produced.</summary>
    public bool CacheHit { get; init; }

    /// <summary>For a cache hit: what producing the result originally cost.</summary>
    public decimal? CostSavedUsd { get; init; }

    private static readonly JsonElement JsonNull = JsonSerializer.SerializeToElement<object?>(null);
    private static readonly TaskResult Empty = new() { Output = JsonNull };

    /// <summary>A result whose output is <paramref name="value"/> serialized to JSON.</summary>
    public static TaskResult FromValue(object? value) => value switch
    {
        null => Empty,
        JsonElement element => new() { Output = element },
        _ => new() { Output = JsonSerializer.SerializeToElement(value, value.GetType()) },
    };
}

/// <summary>An attempt failed. <see cref="Retryable"/> false stops retries (a bad request will not get better).</summary>
public class TaskFailedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TaskFailedException(string message, bool retryable = true, Exception? inner = null, TokenUsage? tokens = null, decimal? costUsd = null)
        : base(message, inner)
    {
        Retryable = retryable;
        Tokens = tokens;
        CostUsd = costUsd;
    }

    /// <summary>Whether another attempt may succeed.</summary>
    public bool Retryable { get; }

    /// <summary>Tokens the failed attempt still consumed.</summary>
    public TokenUsage? Tokens { get; }

    /// <summary>What the failed attempt still cost.</summary>
    public decimal? CostUsd { get; }
}
