using System.Text.Json;
using System.Text.Json.Serialization;
using Fanout.Footprints;

namespace Fanout.Tools;

/// <summary>
/// One line of Fanout's tool trace (JSONL, written by <c>fanout run --trace FILE</c> and <see cref="ToolBatchResult.Trace"/>;
/// read by <c>fanout analyze</c>): <c>{tool, args, started_at, finished_at, result_size}</c>, plus the footprint the
/// call was run with, so an analysis need not guess it.
/// </summary>
public sealed record ToolTraceEntry
{
    /// <summary>The tool's name (for a plan task: its kind).</summary>
    public required string Tool { get; init; }

    /// <summary>The call's arguments (for a plan task: <c>{"task": id}</c>).</summary>
    public JsonElement Args { get; init; }

    /// <summary>When it started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it finished.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Size of the result in bytes (UTF-8 JSON or text).</summary>
    public long ResultSize { get; init; }

    /// <summary>Resources read, as written (<c>*:*</c> is everything); null when not recorded.</summary>
    public IReadOnlyList<string>? Reads { get; init; }

    /// <summary>Resources written; null when not recorded.</summary>
    public IReadOnlyList<string>? Writes { get; init; }

    private static readonly JsonSerializerOptions LineOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The entry as one JSON line (no newline).</summary>
    public string ToJsonLine() => JsonSerializer.Serialize(this, LineOptions);

    /// <summary>Reads one line; throws <see cref="JsonException"/> when it is not an entry.</summary>
    public static ToolTraceEntry FromJsonLine(string line) =>
        JsonSerializer.Deserialize<ToolTraceEntry>(line, LineOptions) is { Tool: not null } entry ? entry : throw new JsonException("not a trace entry: 'tool' is missing");

    /// <summary>An entry for a call of <paramref name="tool"/>.</summary>
    public static ToolTraceEntry From(string tool, IDictionary<string, object?>? args, DateTimeOffset? startedAt, DateTimeOffset? finishedAt, object? result, Footprint footprint)
    {
        ArgumentNullException.ThrowIfNull(footprint);
        return new ToolTraceEntry
        {
            Tool = tool,
            Args = ToElement(args ?? new Dictionary<string, object?>()),
            StartedAt = startedAt,
            FinishedAt = finishedAt,
            ResultSize = SizeOf(result),
            Reads = [.. footprint.Reads.Select(r => r.Text)],
            Writes = [.. footprint.Writes.Select(w => w.Text)],
        };
    }

    /// <summary>The recorded footprint, or null when the entry has none.</summary>
    public Footprint? Footprint(string? baseDirectory = null) =>
        Reads is null && Writes is null ? null : Footprints.Footprint.Of(Reads, Writes, baseDirectory);

    private static JsonElement ToElement(object value)
    {
        try
        {
            return JsonSerializer.SerializeToElement(value);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or JsonException)
        {
            return JsonSerializer.SerializeToElement(value.ToString());
        }
    }

    private static long SizeOf(object? result) => result switch
    {
        null => 0,
        string text => System.Text.Encoding.UTF8.GetByteCount(text),
        JsonElement element => System.Text.Encoding.UTF8.GetByteCount(element.GetRawText()),
        _ => System.Text.Encoding.UTF8.GetByteCount(ToElement(result).GetRawText()),
    };
}
