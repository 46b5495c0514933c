using System.Collections.Immutable;
using Fanout.Footprints;
using Microsoft.Extensions.AI;

namespace Fanout.Tools;

/// <summary>How one call of a batch ended.</summary>
public enum ToolCallStatus
{
    /// <summary>It returned a result.</summary>
    Succeeded,

    /// <summary>It threw on its last attempt, or could not run (unknown tool, footprint that could not be computed).</summary>
    Failed,

    /// <summary>Its last attempt ran out of time.</summary>
    TimedOut,

    /// <summary>The batch was cancelled before it finished.</summary>
    Cancelled,
}

/// <summary>One call's outcome, in the position of its call.</summary>
public sealed record ToolCallResult
{
    /// <summary>The call as the model made it.</summary>
    public required FunctionCallContent Call { get; init; }

    /// <summary>What goes back to the model: the function's result, or <c>error: …</c> with <see cref="FunctionResultContent.Exception"/> set.</summary>
    public required FunctionResultContent Result { get; init; }

    /// <summary>How it ended.</summary>
    public ToolCallStatus Status { get; init; }

    /// <summary>Why it did not succeed.</summary>
    public string? Error { get; init; }

    /// <summary>Attempts made.</summary>
    public int Attempts { get; init; }

    /// <summary>From its first start to its end (retries included).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>When it first started; null if it never did.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it ended.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The footprint its arguments gave it.</summary>
    public Footprint Footprint { get; init; } = Footprint.None;
}

/// <summary>A batch's figures: what running it in parallel bought, and what held it back.</summary>
public sealed record ToolBatchMetrics
{
    /// <summary>Calls in the batch.</summary>
    public int Calls { get; init; }

    /// <summary>Wall time of the batch.</summary>
    public double MakespanMs { get; init; }

    /// <summary>Sum of the calls' durations: what running them one after another would take.</summary>
    public double SequentialMs { get; init; }

    /// <summary>sequential / makespan.</summary>
    public double Speedup { get; init; }

    /// <summary>Per pool: size, busy time, utilisation.</summary>
    public ImmutableArray<PoolUtilisation> Pools { get; init; } = [];

    /// <summary>Footprint conflicts that ordered calls (<c>call0 → call2</c>, by position), with the time each held its
    /// later call back.</summary>
    public ImmutableArray<InferredEdgeReport> HeldBack { get; init; } = [];
}

/// <summary>What <see cref="ToolBatch.RunAsync"/> returns.</summary>
public sealed record ToolBatchResult
{
    /// <summary>One result per call, in call order.</summary>
    public ImmutableArray<ToolCallResult> Results { get; init; } = [];

    /// <summary>The batch's figures.</summary>
    public required ToolBatchMetrics Metrics { get; init; }

    /// <summary>The scheduler's full report of the batch (each call is the task <c>callN</c>).</summary>
    public required RunReport Report { get; init; }

    /// <summary>The batch as trace entries (what <c>fanout analyze</c> reads), in call order.</summary>
    public IEnumerable<ToolTraceEntry> Trace() => Results.Select(r => ToolTraceEntry.From(r.Call.Name, r.Call.Arguments, r.StartedAt, r.FinishedAt, r.Result.Result, r.Footprint));
}
