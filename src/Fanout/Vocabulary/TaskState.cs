using System.Text.Json.Serialization;

namespace Fanout;

/// <summary>The life cycle of one task instance, as run.json, events, the journal and the API write it.</summary>
public enum TaskState
{
    /// <summary>Waiting for dependencies (or for a retry's backoff to elapse).</summary>
    [JsonStringEnumMemberName("pending")]
    Pending,

    /// <summary>Dependencies satisfied; waiting for a concurrency slot.</summary>
    [JsonStringEnumMemberName("ready")]
    Ready,

    /// <summary>An attempt is executing.</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>Finished with an output.</summary>
    [JsonStringEnumMemberName("succeeded")]
    Succeeded,

    /// <summary>Every allowed attempt failed.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>Never ran because a dependency did not succeed.</summary>
    [JsonStringEnumMemberName("skipped")]
    Skipped,

    /// <summary>Stopped by the user or by a fail-fast policy.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,
}

/// <summary>Final status of a run, as run.json, the journal and the exit code read it.</summary>
public enum RunStatus
{
    /// <summary>Every non-optional task succeeded.</summary>
    [JsonStringEnumMemberName("succeeded")]
    Succeeded,

    /// <summary>At least one non-optional task failed or was skipped.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>Stopped by the user.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,

    /// <summary>The run's cost reached its <c>budget_usd</c>: nothing new was started, what was waiting was cancelled.</summary>
    [JsonStringEnumMemberName("budget_exhausted")]
    BudgetExhausted,
}

/// <summary>What a <see cref="RunEvent"/> reports: its <c>type</c> in the journal and an SSE stream's <c>event:</c>.</summary>
public enum RunEventKind
{
    /// <summary><see cref="RunStarted"/>.</summary>
    [JsonStringEnumMemberName("run_started")]
    RunStarted,

    /// <summary><see cref="TaskStateChanged"/>.</summary>
    [JsonStringEnumMemberName("task_state")]
    TaskState,

    /// <summary><see cref="TaskRetrying"/>.</summary>
    [JsonStringEnumMemberName("task_retrying")]
    TaskRetrying,

    /// <summary><see cref="FanoutExpanded"/>.</summary>
    [JsonStringEnumMemberName("fanout_expanded")]
    FanoutExpanded,

    /// <summary><see cref="RunFinished"/>.</summary>
    [JsonStringEnumMemberName("run_finished")]
    RunFinished,
}

/// <summary>The vocabulary's words (see <see cref="WireName{TEnum}"/>) and helpers over it.</summary>
public static class Vocabulary
{
    /// <summary>True once the state can no longer change.</summary>
    public static bool IsSettled(this TaskState state) =>
        state is TaskState.Succeeded or TaskState.Failed or TaskState.Skipped or TaskState.Cancelled;

    /// <summary>The states an instance ends in.</summary>
    public static IReadOnlyList<TaskState> Settled { get; } = [.. Enum.GetValues<TaskState>().Where(IsSettled)];

    /// <summary>Counts keyed by state word (run.json's <c>counts</c>): settled states in life-cycle order
    /// (<c>succeeded</c>, <c>failed</c>, <c>skipped</c>, <c>cancelled</c>), then any other word by name.</summary>
    public static IEnumerable<KeyValuePair<string, int>> InStateOrder(this IReadOnlyDictionary<string, int> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        return counts
            .OrderBy(c => WireName<TaskState>.TryParse(c.Key, out var s) && s.IsSettled() ? (int)s : int.MaxValue)
            .ThenBy(c => c.Key, StringComparer.Ordinal);
    }

    /// <summary>The word used in reports, events, the journal and the API (<c>succeeded</c>…).</summary>
    public static string ToWire(this TaskState state) => WireName<TaskState>.Of(state);

    /// <summary>The status as written in run.json and the journal (<c>succeeded</c>, <c>budget_exhausted</c>…).</summary>
    public static string ToWire(this RunStatus status) => WireName<RunStatus>.Of(status);

    /// <summary>The outcome as written in run.json's attempt log and the journal (<c>timed_out</c>…).</summary>
    public static string ToWire(this AttemptOutcome outcome) => WireName<AttemptOutcome>.Of(outcome);

    /// <summary>The event type as written in the journal and an SSE stream (<c>task_state</c>…).</summary>
    public static string ToWire(this RunEventKind kind) => WireName<RunEventKind>.Of(kind);
}
