namespace Fanout.Cli;

/// <summary>
/// Everything a command touches outside itself: its writers, whether they are terminals, the environment, the
/// current directory and the clock. Program.cs builds the real one; tests build one over <see cref="StringWriter"/>s.
/// </summary>
internal sealed record CliEnvironment
{
    /// <summary>Standard output: results (summaries, graphs, <c>--json</c> reports).</summary>
    public required TextWriter Out { get; init; }

    /// <summary>Standard error: diagnostics, notices, progress when stdout carries JSON.</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Whether <see cref="Out"/> is an interactive terminal (live view, colours).</summary>
    public bool OutIsTerminal { get; init; }

    /// <summary>Whether <see cref="Error"/> is an interactive terminal.</summary>
    public bool ErrorIsTerminal { get; init; }

    /// <summary>Environment lookup, passed to providers for <c>${VAR}</c> keys; replaced in tests.</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>Every environment variable: what process tasks may inherit, and where the secrets the run's
    /// <see cref="Redactor"/> hides come from (<c>*_API_KEY</c>, <c>*_TOKEN</c>…); replaced in tests.</summary>
    public IReadOnlyDictionary<string, string> Variables { get; init; } = Fanout.Execution.ProcessEnvironment.Current();

    /// <summary>Relative paths (plan, <c>--out</c>, <c>@file</c> inputs) and <c>.fanout/runs</c> resolve against this.</summary>
    public string CurrentDirectory { get; init; } = Environment.CurrentDirectory;

    /// <summary>The wall clock of real runs.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Also receives every run event, in order, from the run's event subscription (tests use it to watch or cancel a run).</summary>
    public Action<RunEvent>? OnEvent { get; init; }

    /// <summary>The environment of the real process.</summary>
    public static CliEnvironment FromConsole() => new()
    {
        Out = Console.Out,
        Error = Console.Error,
        OutIsTerminal = !Console.IsOutputRedirected,
        ErrorIsTerminal = !Console.IsErrorRedirected,
    };

    /// <summary>A path the user typed, made absolute against <see cref="CurrentDirectory"/>.</summary>
    public string FullPath(string path) => Path.GetFullPath(path, CurrentDirectory);

    /// <summary>
    /// The path to hand to loaders: as typed when it already means the same thing to the process (so diagnostics show
    /// it the way the user wrote it), else made absolute.
    /// </summary>
    public string LoaderPath(string path) =>
        Path.IsPathRooted(path) || string.Equals(Path.GetFullPath(CurrentDirectory), Path.GetFullPath(Environment.CurrentDirectory), StringComparison.Ordinal)
            ? path
            : FullPath(path);
}
