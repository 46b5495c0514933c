using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Fanout.Storage;

/// <summary>How a <see cref="TaskResult"/> is written in the journal and the cache: JSON text, lossless for
/// everything the report and dependents read. Cache bookkeeping is not part of a result's content and is dropped.</summary>
public static class StoredResult
{
    private static readonly JsonTypeInfo<TaskResult> Info = StoredResultJson.Default.TaskResult;

    private static readonly JsonElement JsonNull = JsonSerializer.SerializeToElement<object?>(null);

    /// <summary>Serializes <paramref name="result"/>.</summary>
    public static string Serialize(TaskResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        // An executor may leave the output unset; it reads back as JSON null, which is what dependents saw.
        var output = result.Output.ValueKind == JsonValueKind.Undefined ? JsonNull : result.Output;
        return JsonSerializer.Serialize(result with { Output = output, CacheKey = null, CacheHit = false, CostSavedUsd = null }, Info);
    }

    /// <summary>Reads what <see cref="Serialize"/> wrote.</summary>
    public static TaskResult Deserialize(string json) =>
        JsonSerializer.Deserialize(json, Info) ?? throw new JsonException("stored result is null");
}
