using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fanout.Providers.Simulation;

/// <summary>
/// Turns a valid answer into one that breaks its schema the way models do: a value of the wrong type, a required
/// property left out. Each candidate is checked against the schema, so the answer really is invalid.
/// </summary>
internal static class SchemaBreaker
{
    /// <summary>The broken answer, or null when no simple change makes it invalid (a schema that accepts anything).</summary>
    public static string? Break(JsonElement schema, string validJson)
    {
        if (!CompiledSchema.TryCompile(schema, out var compiled, out _))
        {
            return null; // the executor reports an invalid schema itself
        }

        foreach (var candidate in Candidates(schema, validJson))
        {
            var text = candidate?.ToJsonString() ?? "null";
            using var document = JsonDocument.Parse(text);
            if (!compiled.IsValid(document.RootElement))
            {
                return text;
            }
        }

        return null;
    }

    /// <summary>Most telling first: mistype a property or item (the error names its path), drop a required property, mistype the whole value.</summary>
    private static IEnumerable<JsonNode?> Candidates(JsonElement schema, string validJson)
    {
        var root = JsonNode.Parse(validJson);
        if (root is JsonObject obj)
        {
            var required = schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("required", out var r) && r.ValueKind == JsonValueKind.Array
                ? r.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
                : [];
            foreach (var name in obj.Select(p => p.Key).ToList())
            {
                var copy = obj.DeepClone().AsObject();
                copy[name] = WrongType(copy[name]);
                yield return copy;
            }

            foreach (var name in required.Where(obj.ContainsKey))
            {
                var copy = obj.DeepClone().AsObject();
                copy.Remove(name);
                yield return copy;
            }
        }
        else if (root is JsonArray array && array.Count > 0)
        {
            var copy = array.DeepClone().AsArray();
            copy[0] = WrongType(copy[0]);
            yield return copy;
        }

        yield return WrongType(root);
    }

    /// <summary>A value of another JSON type than <paramref name="value"/>.</summary>
    private static JsonNode? WrongType(JsonNode? value) => value?.GetValueKind() switch
    {
        JsonValueKind.String => JsonValue.Create(42),
        JsonValueKind.Number => JsonValue.Create("not a number"),
        JsonValueKind.True or JsonValueKind.False => JsonValue.Create("yes"),
        JsonValueKind.Object => new JsonArray(),
        JsonValueKind.Array => JsonValue.Create("not a list"),
        _ => JsonValue.Create(42),
    };
}
