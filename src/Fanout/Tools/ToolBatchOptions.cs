using System.Collections.Immutable;

namespace Fanout.Tools;

/// <summary>How <see cref="ToolBatch.RunAsync"/> runs a batch.</summary>
public sealed record ToolBatchOptions
{
    /// <summary>The clock every timeout, retry delay and timing uses. Default: the system clock.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Most calls running at once. Default: no limit beyond footprints and pools.</summary>
    public int? Concurrency { get; init; }

    /// <summary>Run one call at a time (concurrency 1; conflicting calls still in call order): the reference the parallel
    /// run must equal.</summary>
    public bool Sequential { get; init; }

    /// <summary>Named pools and their sizes: at most that many calls holding the pool run at once.</summary>
    public ImmutableDictionary<string, int> Pools { get; init; } = ImmutableDictionary<string, int>.Empty;

    /// <summary>Per-attempt time limit of tools that set none; null: none.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Retries of tools that set none. Default: <see cref="RetryPolicy.None"/> (a tool call is tried once).</summary>
    public RetryPolicy Retry { get; init; } = RetryPolicy.None;

    /// <summary>Seed for retry jitter; null: random.</summary>
    public int? Seed { get; init; }
}
