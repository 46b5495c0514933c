using System.Text.Json;
using Fanout.Footprints;

namespace Fanout.Tools.Analysis;

/// <summary>
/// Reads a recorded sequence of tool calls from JSONL: Fanout's own trace (<see cref="ToolTraceEntry"/> lines) or a
/// Claude Code session transcript (<c>assistant</c> lines whose content has <c>tool_use</c> blocks, answered by
/// <c>tool_result</c> blocks in <c>user</c> lines; a call's duration is the time between the two lines). Lines of other
/// kinds are skipped; a line that is not JSON is an error naming its number.
/// </summary>
public static class TraceReader
{
    /// <summary>The calls, in the order they were made.</summary>
    public static List<RecordedCall> Read(IEnumerable<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var calls = new List<RecordedCall>();
        var pending = new Dictionary<string, (int Index, DateTimeOffset? At)>(StringComparer.Ordinal);
        var number = 0;
        foreach (var line in lines)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonElement root;
            try
            {
                using var document = JsonDocument.Parse(line);
                root = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new FormatException($"line {number}: not JSON ({e.Message})", e);
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            if (root.TryGetProperty("tool", out _))
            {
                calls.Add(FromFanout(calls.Count, ToolTraceEntry.FromJsonLine(line)));
            }
            else if (root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object
                     && message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
            {
                var at = root.TryGetProperty("timestamp", out var ts) && ts.TryGetDateTimeOffset(out var t) ? t : (DateTimeOffset?)null;
                var cwd = root.TryGetProperty("cwd", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                foreach (var block in content.EnumerateArray())
                {
                    var type = block.TryGetProperty("type", out var tp) ? tp.GetString() : null;
                    if (type == "tool_use")
                    {
                        var name = block.GetProperty("name").GetString() ?? "?";
                        var input = block.TryGetProperty("input", out var i) ? i : default;
                        var (footprint, inference, unknown) = ClaudeCodeFootprints.Infer(name, input, cwd);
                        pending[block.GetProperty("id").GetString() ?? ""] = (calls.Count, at);
                        calls.Add(new RecordedCall
                        {
                            Index = calls.Count,
                            Tool = name,
                            Summary = ClaudeCodeFootprints.Summarize(name, input),
                            Args = input,
                            StartedAt = at,
                            Footprint = footprint,
                            Inference = inference,
                            Unknown = unknown,
                        });
                    }
                    else if (type == "tool_result" && block.TryGetProperty("tool_use_id", out var id)
                             && pending.Remove(id.GetString() ?? "", out var use) && use.At is { } started && at is { } finished)
                    {
                        calls[use.Index] = calls[use.Index] with { DurationMs = Math.Max(0, (finished - started).TotalMilliseconds) };
                    }
                }
            }
        }

        return calls;
    }

    private static RecordedCall FromFanout(int index, ToolTraceEntry entry)
    {
        var recorded = entry.Footprint();
        var (footprint, inference, unknown) = recorded is not null
            ? (recorded, "recorded", recorded.Reads.Contains(Resource.Everything) && recorded.Writes.Contains(Resource.Everything))
            : ClaudeCodeFootprints.Infer(entry.Tool, entry.Args, null);
        return new RecordedCall
        {
            Index = index,
            Tool = entry.Tool,
            Summary = entry.Args.ValueKind == JsonValueKind.Object && entry.Args.TryGetProperty("task", out var task)
                ? $"{entry.Tool} {task}"
                : ClaudeCodeFootprints.Summarize(entry.Tool, entry.Args),
            Args = entry.Args,
            StartedAt = entry.StartedAt,
            DurationMs = entry.StartedAt is { } s && entry.FinishedAt is { } f ? Math.Max(0, (f - s).TotalMilliseconds) : 0,
            Footprint = footprint,
            Inference = inference,
            Unknown = unknown,
        };
    }
}
