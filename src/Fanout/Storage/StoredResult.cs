using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fanout.Storage;

/// <summary>How a <see cref="TaskResult"/> is written in the journal and the cache: JSON text, lossless for
/// everything the report and dependents read.</summary>
public static class StoredResult
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Serializes <paramref name="result"/>.</summary>
    public static string Serialize(TaskResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return JsonSerializer.Serialize(new Dto
        {
            Output = result.Output,
            Tokens = result.Tokens,
            CostUsd = result.CostUsd,
            Provider = result.Provider,
            Model = result.Model,
            Key = result.Key,
            Details = result.Details,
            Artifacts = result.Artifacts.IsDefaultOrEmpty ? null : [.. result.Artifacts],
        }, Options);
    }

    /// <summary>Reads what <see cref="Serialize"/> wrote.</summary>
    public static TaskResult Deserialize(string json)
    {
        var dto = JsonSerializer.Deserialize<Dto>(json, Options) ?? throw new JsonException("stored result is null");
        return new TaskResult
        {
            Output = dto.Output,
            Tokens = dto.Tokens,
            CostUsd = dto.CostUsd,
            Provider = dto.Provider,
            Model = dto.Model,
            Key = dto.Key,
            Details = dto.Details,
            Artifacts = dto.Artifacts is null ? [] : [.. dto.Artifacts],
        };
    }

    private sealed class Dto
    {
        public JsonElement Output { get; set; }

        public TokenUsage? Tokens { get; set; }

        public decimal? CostUsd { get; set; }

        public string? Provider { get; set; }

        public string? Model { get; set; }

        public string? Key { get; set; }

        public JsonElement? Details { get; set; }

        public List<string>? Artifacts { get; set; }
    }
}
