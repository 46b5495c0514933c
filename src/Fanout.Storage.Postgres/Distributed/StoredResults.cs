using System.Text.Json;

namespace Fanout.Storage.Postgres.Distributed;

/// <summary>Results as the journal stores them (TEMPORARY until the shared StoredResult is merged).</summary>
internal static class StoredResults
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string Serialize(TaskResult result) => JsonSerializer.Serialize(new { output = result.Output, tokens = result.Tokens, cost_usd = result.CostUsd, provider = result.Provider, model = result.Model, key = result.Key, details = result.Details, artifacts = result.Artifacts.IsDefaultOrEmpty ? null : result.Artifacts.ToArray() }, Options);

    public static TaskResult? Deserialize(string? json)
    {
        if (json is null)
        {
            return null;
        }

        var root = JsonDocument.Parse(json).RootElement;
        string? S(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return new TaskResult
        {
            Output = root.GetProperty("output").Clone(),
            Provider = S("provider"),
            Model = S("model"),
            Key = S("key"),
            Details = root.TryGetProperty("details", out var d) && d.ValueKind != JsonValueKind.Null ? d.Clone() : null,
            Artifacts = root.TryGetProperty("artifacts", out var a) && a.ValueKind == JsonValueKind.Array ? [.. a.EnumerateArray().Select(x => x.GetString()!)] : [],
        };
    }

    public static JsonElement? Output(string? json) => Deserialize(json)?.Output;
}
