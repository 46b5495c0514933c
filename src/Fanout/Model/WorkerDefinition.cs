using System.Collections.Immutable;

namespace Fanout;

/// <summary>A coding-agent CLI that <c>agent</c> tasks run: its name and the command line before the prompt.</summary>
/// <param name="Name">The name tasks use in <c>worker:</c>.</param>
/// <param name="Command">Program and leading arguments; the prompt is appended as one more argument.</param>
/// <param name="Location">Where the plan declares it; null for a built-in preset.</param>
public sealed record WorkerDefinition(string Name, ImmutableArray<string> Command, SourceLocation? Location = null)
{
    /// <summary>Presets for the common agent CLIs, each in its non-interactive "print the answer" mode. A plan's
    /// <c>workers:</c> entry of the same name replaces the preset. Claude Code prints its JSON result, whose answer,
    /// usage and cost the task takes (see <c>CommandWorker</c>).</summary>
    public static ImmutableArray<WorkerDefinition> BuiltIn { get; } =
    [
        new("claude", ["claude", "-p", "--output-format", "json"]),
        new("codex", ["codex", "exec"]),
        new("gemini", ["gemini", "-p"]),
    ];
}
