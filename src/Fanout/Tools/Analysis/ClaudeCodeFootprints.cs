using System.Text.Json;
using Fanout.Footprints;

namespace Fanout.Tools.Analysis;

/// <summary>
/// Footprints of Claude Code's built-in tools from their arguments. Paths resolve against the session's working
/// directory. <c>Bash</c> may do anything, so it reads and writes everything — except a single command of a known
/// read-only program (<c>ls</c>, <c>cat</c>, <c>grep</c>, <c>git status</c>…) with no redirection, pipe, chaining or
/// substitution, which reads everything and writes nothing. Any other tool (MCP tools, <c>Task</c> subagents) is
/// unknown and conflicts with everything.
/// </summary>
public static class ClaudeCodeFootprints
{
    private static readonly HashSet<string> ReadOnlyPrograms = new(
        ["ls", "cat", "head", "tail", "wc", "grep", "rg", "pwd", "tree", "stat", "file", "du", "which", "echo", "diff"], StringComparer.Ordinal);

    private static readonly HashSet<string> ReadOnlyGit = new(["status", "log", "diff", "show", "branch", "blame"], StringComparer.Ordinal);

    /// <summary>The footprint of a call of <paramref name="tool"/> with <paramref name="input"/>, how it was inferred,
    /// and whether it is the everything of last resort.</summary>
    public static (Footprint Footprint, string Inference, bool Unknown) Infer(string tool, JsonElement input, string? cwd)
    {
        ArgumentNullException.ThrowIfNull(tool);
        string? Arg(string name) => input.ValueKind == JsonValueKind.Object && input.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        Footprint Of(string[] reads, string[] writes) => Footprint.Of(reads, writes, cwd);
        const string FromArguments = "from arguments";
        switch (tool)
        {
            case "Read" or "NotebookRead" when (Arg("file_path") ?? Arg("notebook_path")) is { } path:
                return (Of([path], []), FromArguments, false);
            case "Write" when Arg("file_path") is { } path:
                return (Of([], [path]), FromArguments, false);
            case "Edit" or "MultiEdit" or "NotebookEdit" when (Arg("file_path") ?? Arg("notebook_path")) is { } path:
                return (Of([path], [path]), FromArguments, false);
            case "Glob" when Arg("pattern") is { } pattern:
                return (Footprint.Of([pattern], [], Arg("path") is { } dir ? Join(cwd, dir) : cwd), FromArguments, false);
            case "Grep":
                var under = Arg("path") ?? ".";
                return (Of([Arg("glob") is { } glob ? $"{under.TrimEnd('/')}/**/{glob}" : under], []), FromArguments, false);
            case "LS":
                return (Of([Arg("path") ?? "."], []), FromArguments, false);
            case "WebFetch" when Arg("url") is { } url:
                return (Of([$"url:{url}"], []), FromArguments, false);
            case "WebSearch":
                return (Of(["web:search"], []), FromArguments, false);
            case "TodoWrite":
                return (Of([], ["claude:todos"]), FromArguments, false);
            case "TodoRead":
                return (Of(["claude:todos"], []), FromArguments, false);
            case "Bash" when Arg("command") is { } command && IsReadOnly(command):
                return (new Footprint { Reads = [Resource.Everything] }, "read-only shell command: reads everything", false);
            case "Bash":
                return (Footprint.Everything, "shell command: may read and write anything", true);
            default:
                return (Footprint.Everything, "unknown tool: conflicts with everything", true);
        }
    }

    /// <summary>A one-line description of the call: the tool and its main argument.</summary>
    public static string Summarize(string tool, JsonElement input)
    {
        foreach (var name in (string[])["file_path", "notebook_path", "pattern", "path", "command", "url", "query", "description"])
        {
            if (input.ValueKind == JsonValueKind.Object && input.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String)
            {
                var text = v.GetString()!.ReplaceLineEndings(" ");
                return $"{tool} {(text.Length > 60 ? text[..57] + "…" : text)}";
            }
        }

        return tool;
    }

    private static string? Join(string? cwd, string dir) => dir.StartsWith('/') || cwd is null ? dir : $"{cwd.TrimEnd('/')}/{dir}";

    private static bool IsReadOnly(string command)
    {
        if (command.AsSpan().IndexOfAny("><|;&`\n") >= 0 || command.Contains("$(", StringComparison.Ordinal))
        {
            return false;
        }

        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return words.Length > 0 && (ReadOnlyPrograms.Contains(words[0])
            || words[0] == "git" && words.Length > 1 && ReadOnlyGit.Contains(words[1])
            || words[0] == "find" && !words.Any(w => w is "-delete" or "-exec" or "-execdir" or "-ok" or "-fprint"));
    }
}
