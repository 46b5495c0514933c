using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fanout.Templates;

/// <summary>
/// What a template sees: <c>inputs</c>, <c>tasks.&lt;id&gt;</c> for each dependency (<c>output</c>, <c>status</c>,
/// <c>error</c>, and <c>items</c> for a fan-out), and in a fan-out instance <c>item</c>, <c>index</c> and the
/// <c>as:</c> name. Held as JSON for paths and converted once to plain objects for Handlebars.
/// </summary>
public sealed class TemplateScope
{
    private object? _objects;

    /// <summary>Wraps a JSON object as a scope.</summary>
    public TemplateScope(JsonElement json)
    {
        Json = json;
    }

    /// <summary>The scope as JSON.</summary>
    public JsonElement Json { get; }

    /// <summary>An empty scope.</summary>
    public static TemplateScope Empty { get; } = new(JsonSerializer.SerializeToElement(new JsonObject()));

    internal object Objects => _objects ??= ToObjects(Json)!;

    /// <summary>Builds a scope from its parts.</summary>
    public static TemplateScope Create(JsonElement inputs, IReadOnlyDictionary<string, JsonNode?> tasks, JsonElement? item = null, int? index = null, string? itemName = null)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var root = new JsonObject
        {
            ["inputs"] = JsonNode.Parse(inputs.ValueKind == JsonValueKind.Undefined ? "{}" : inputs.GetRawText()),
            ["tasks"] = new JsonObject(tasks.Select(t => KeyValuePair.Create(t.Key, t.Value?.DeepClone()))),
        };
        if (item is { } value)
        {
            var node = JsonNode.Parse(value.GetRawText());
            root["item"] = node;
            root["index"] = index;
            if (itemName is not null && itemName != "item")
            {
                root[itemName] = node?.DeepClone();
            }
        }

        return new TemplateScope(JsonSerializer.SerializeToElement(root));
    }

    private static object? ToObjects(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().ToDictionary(p => p.Name, p => ToObjects(p.Value), StringComparer.Ordinal),
        JsonValueKind.Array => new ArrayObject(element.EnumerateArray().Select(ToObjects)),
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out var l) ? l : element.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };

    /// <summary>An array as Handlebars sees it, with the <c>length</c> that paths may use (as in Handlebars.js).</summary>
    private sealed class ArrayObject(IEnumerable<object?> items) : List<object?>(items)
    {
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "Handlebars path segment")]
        public int length => Count;
    }
}
