using System.Text.Json.Serialization;

namespace Fanout;

/// <summary>How one attempt of a task ended, as run.json's <c>attempt_log</c> and the journal write it.</summary>
public enum AttemptOutcome
{
    /// <summary>Started and not yet finished (journal only).</summary>
    [JsonStringEnumMemberName("running")]
    Running,

    /// <summary>Produced a result.</summary>
    [JsonStringEnumMemberName("succeeded")]
    Succeeded,

    /// <summary>Threw, or its output broke a schema or contract.</summary>
    [JsonStringEnumMemberName("failed")]
    Failed,

    /// <summary>Ran past the task's timeout.</summary>
    [JsonStringEnumMemberName("timed_out")]
    TimedOut,

    /// <summary>Stopped by the user, fail-fast or the budget.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,

    /// <summary>Was running when its process (or worker) died; found on resume. Its work may or may not have happened.</summary>
    [JsonStringEnumMemberName("lost")]
    Lost,
}
