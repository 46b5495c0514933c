using System.Collections;
using System.Diagnostics;

namespace Fanout.Execution;

/// <summary>
/// What a child process finds in its environment: the minimal set every program expects (<see cref="Minimal"/>),
/// whatever its task inherits (<see cref="InheritedEnvironment"/>), then the variables the task declares. Nothing else
/// of Fanout's environment — in particular no provider key — reaches a process unless the plan says so.
/// </summary>
public static class ProcessEnvironment
{
    /// <summary>Passed to every process: finding programs, the user's home and temporary directory, locale, terminal.</summary>
    public static IReadOnlyList<string> Minimal { get; } =
        ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "TERM"];

    /// <summary>The environment of this process, as a snapshot.</summary>
    public static IReadOnlyDictionary<string, string> Current()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = (string?)entry.Value ?? "";
        }

        return variables;
    }

    /// <summary>Whether <paramref name="name"/> is in the minimal set (the <c>LC_*</c> locale variables are).</summary>
    public static bool IsMinimal(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Minimal.Contains(name, StringComparer.Ordinal) || name.StartsWith("LC_", StringComparison.Ordinal);
    }

    /// <summary>Replaces <paramref name="start"/>'s environment (a copy of this process's, by default) with the
    /// minimal set and what <paramref name="inherit"/> lets through from <paramref name="parent"/>.</summary>
    internal static void Apply(ProcessStartInfo start, IReadOnlyDictionary<string, string> parent, InheritedEnvironment inherit)
    {
        start.Environment.Clear();
        foreach (var (name, value) in parent)
        {
            if (inherit.All || IsMinimal(name) || inherit.Names.Contains(name, StringComparer.Ordinal))
            {
                start.Environment[name] = value;
            }
        }
    }
}
