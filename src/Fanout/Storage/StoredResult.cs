using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fanout.Storage;

/// <summary>How a <see cref="TaskResult"/> is written in the journal and the cache: JSON text, lossless for
/// everything the report and dependents read. Cache bookkeeping is not part of a result's content and is dropped.</summary>
public static class StoredResult
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
    };

    /// <summary>Serializes <paramref name="result"/>.</summary>
    public static string Serialize(TaskResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return JsonSerializer.Serialize(result with { CacheKey = null, CacheHit = false, CostSavedUsd = null }, Options);
    }

    /// <summary>Reads what <see cref="Serialize"/> wrote.</summary>
    public static TaskResult Deserialize(string json) =>
        JsonSerializer.Deserialize<TaskResult>(json, Options) ?? throw new JsonException("stored result is null");
}
