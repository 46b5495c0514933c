namespace Fanout.Cli;

/// <summary>Exit codes of <c>fanout</c> (docs/architecture.md).</summary>
internal static class ExitCodes
{
    /// <summary>Every task succeeded (or the command did what it was asked).</summary>
    public const int Success = 0;

    /// <summary>Some task failed (or an unexpected error).</summary>
    public const int TaskFailed = 1;

    /// <summary>The plan, its inputs or the command line is invalid.</summary>
    public const int Invalid = 2;

    /// <summary>Cancelled by the user (128 + SIGINT).</summary>
    public const int Cancelled = 130;

    /// <summary>The exit code for a run's final status.</summary>
    public static int For(RunStatus status) => status switch
    {
        RunStatus.Succeeded => Success,
        RunStatus.Cancelled => Cancelled,
        _ => TaskFailed,
    };
}
