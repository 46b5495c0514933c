namespace Fanout;

/// <summary>The life cycle of one task instance. Names match run.json and the API (lower case).</summary>
public enum TaskState
{
    /// <summary>Waiting for dependencies (or for a retry's backoff to elapse).</summary>
    Pending,
    /// <summary>Dependencies satisfied; waiting for a concurrency slot.</summary>
    Ready,
    /// <summary>An attempt is executing.</summary>
    Running,
    /// <summary>Finished with an output.</summary>
    Succeeded,
    /// <summary>Every allowed attempt failed.</summary>
    Failed,
    /// <summary>Never ran because a dependency did not succeed.</summary>
    Skipped,
    /// <summary>Stopped by the user or by a fail-fast policy.</summary>
    Cancelled,
}

/// <summary>Helpers over <see cref="TaskState"/>.</summary>
public static class TaskStateExtensions
{
    /// <summary>True once the state can no longer change.</summary>
    public static bool IsSettled(this TaskState state) =>
        state is TaskState.Succeeded or TaskState.Failed or TaskState.Skipped or TaskState.Cancelled;

    /// <summary>The lower-case name used in reports, events and the API.</summary>
    public static string ToWire(this TaskState state) => state switch
    {
        TaskState.Pending => "pending",
        TaskState.Ready => "ready",
        TaskState.Running => "running",
        TaskState.Succeeded => "succeeded",
        TaskState.Failed => "failed",
        TaskState.Skipped => "skipped",
        _ => "cancelled",
    };
}
