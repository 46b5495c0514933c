using System.Text.Json.Serialization;

namespace Fanout;

/// <summary>Something that happened during a run, in order. Consumers (the live view, the journal, SSE, telemetry)
/// read them from the run's event stream.</summary>
/// <param name="At">When, on the run's clock.</param>
public abstract record RunEvent(DateTimeOffset At)
{
    /// <summary>The event's place in its run: 1, 2, 3… with no gaps, assigned when the scheduler publishes it, so a
    /// reader that saw up to <c>n</c> can resume from <c>n</c> (an SSE stream's <c>Last-Event-ID</c>).</summary>
    public long Sequence { get; init; }

    /// <summary>What kind of event this is.</summary>
    [JsonPropertyOrder(-1)]
    public abstract RunEventKind EventKind { get; }
}

/// <summary>The run started.</summary>
public sealed record RunStarted(DateTimeOffset At, string RunId, string Plan, int TaskCount, int Concurrency) : RunEvent(At)
{
    /// <inheritdoc/>
    public override RunEventKind EventKind => RunEventKind.RunStarted;
}

/// <summary>A task instance changed state. Finished states carry the attempt's usage.</summary>
public sealed record TaskStateChanged(
    DateTimeOffset At, string TaskId, string Kind, TaskState State, int Attempt,
    string? Error = null, TokenUsage? Tokens = null, decimal? CostUsd = null) : RunEvent(At)
{
    /// <summary>True when the task succeeded with a result from the result cache (nothing was run).</summary>
    public bool CacheHit { get; init; }

    /// <inheritdoc/>
    public override RunEventKind EventKind => RunEventKind.TaskState;
}

/// <summary>An attempt failed and will be retried after <paramref name="Delay"/>.</summary>
public sealed record TaskRetrying(DateTimeOffset At, string TaskId, int Attempt, TimeSpan Delay, string Error) : RunEvent(At)
{
    /// <inheritdoc/>
    public override RunEventKind EventKind => RunEventKind.TaskRetrying;
}

/// <summary>A fan-out task expanded into <paramref name="Count"/> instances.</summary>
public sealed record FanoutExpanded(DateTimeOffset At, string TaskId, int Count) : RunEvent(At)
{
    /// <inheritdoc/>
    public override RunEventKind EventKind => RunEventKind.FanoutExpanded;
}

/// <summary>The run ended.</summary>
public sealed record RunFinished(DateTimeOffset At, RunStatus Status) : RunEvent(At)
{
    /// <inheritdoc/>
    public override RunEventKind EventKind => RunEventKind.RunFinished;
}
