namespace Fanout;

/// <summary>Something that happened during a run, in order. Consumers: the live view, SSE, telemetry.</summary>
/// <param name="At">When, on the run's clock.</param>
public abstract record RunEvent(DateTimeOffset At);

/// <summary>The run started.</summary>
public sealed record RunStarted(DateTimeOffset At, string RunId, string Plan, int TaskCount, int Concurrency) : RunEvent(At);

/// <summary>A task instance changed state. Finished states carry the attempt's usage.</summary>
public sealed record TaskStateChanged(
    DateTimeOffset At, string TaskId, string Kind, TaskState State, int Attempt,
    string? Error = null, TokenUsage? Tokens = null, decimal? CostUsd = null) : RunEvent(At)
{
    /// <summary>True when the task succeeded with a result from the result cache (nothing was run).</summary>
    public bool CacheHit { get; init; }
}

/// <summary>An attempt failed and will be retried after <paramref name="Delay"/>.</summary>
public sealed record TaskRetrying(DateTimeOffset At, string TaskId, int Attempt, TimeSpan Delay, string Error) : RunEvent(At);

/// <summary>A fan-out task expanded into <paramref name="Count"/> instances.</summary>
public sealed record FanoutExpanded(DateTimeOffset At, string TaskId, int Count) : RunEvent(At);

/// <summary>The run ended.</summary>
public sealed record RunFinished(DateTimeOffset At, RunStatus Status) : RunEvent(At);

/// <summary>Final status of a run.</summary>
public enum RunStatus
{
    /// <summary>Every non-optional task succeeded.</summary>
    Succeeded,

    /// <summary>At least one non-optional task failed or was skipped.</summary>
    Failed,

    /// <summary>Stopped by the user.</summary>
    Cancelled,

    /// <summary>The run's cost reached its <c>budget_usd</c>: nothing new was started, what was waiting was cancelled.</summary>
    BudgetExhausted,
}

/// <summary>Wire names of <see cref="RunStatus"/>.</summary>
public static class RunStatusNames
{
    /// <summary>The status as written in run.json (<c>succeeded</c>, <c>budget_exhausted</c>…).</summary>
    public static string ToWire(this RunStatus status) => status switch
    {
        RunStatus.Succeeded => "succeeded",
        RunStatus.Failed => "failed",
        RunStatus.Cancelled => "cancelled",
        RunStatus.BudgetExhausted => "budget_exhausted",
        _ => status.ToString().ToLowerInvariant(),
    };
}
