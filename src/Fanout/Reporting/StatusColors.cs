namespace Fanout;

/// <summary>One colour per task state and attempt outcome, used by the timeline, the table and the legend alike.</summary>
internal static class StatusColors
{
    public const string Succeeded = "#2e7d32";
    public const string Failed = "#c62828";
    public const string Skipped = "#9e9e9e";
    public const string Cancelled = "#ef6c00";
    public const string Active = "#1565c0";
    public const string Wait = "#b0bec5";
    public const string Critical = "#111111";

    public static string Of(TaskState state) => state switch
    {
        TaskState.Succeeded => Succeeded,
        TaskState.Failed => Failed,
        TaskState.Skipped => Skipped,
        TaskState.Cancelled => Cancelled,
        _ => Active,
    };

    public static string Of(RunStatus status) => status switch
    {
        RunStatus.Succeeded => Succeeded,
        RunStatus.Failed => Failed,
        _ => Cancelled,
    };
}
