using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Fanout.Templates;

/// <summary>
/// Evaluates a JSON value whose strings are templates: <c>"{{path}}"</c> alone becomes the JSON value at the path,
/// other strings render as text, <c>{"$concat": [...]}</c> concatenates arrays (nulls skipped) and
/// <c>{"$merge": [...]}</c> merges objects left to right. Used by the <c>merge</c> task kind.
/// </summary>
public static partial class JsonTemplate
{
    /// <summary>Evaluates <paramref name="template"/> in <paramref name="scope"/>.</summary>
    public static JsonNode? Evaluate(JsonElement template, TemplateScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        switch (template.ValueKind)
        {
            case JsonValueKind.String:
                var text = template.GetString()!;
                var whole = WholePath().Match(text);
                if (whole.Success)
                {
                    var path = whole.Groups["path"].Value;
                    if (!PathExpression.TryResolve(scope.Json, path, out var value, out var prefix))
                    {
                        throw new TemplateException($"'{path}' is undefined (resolved as far as '{prefix}')");
                    }

                    return JsonNode.Parse(value.GetRawText());
                }

                return JsonValue.Create(TemplateEngine.Render(text, scope));
            case JsonValueKind.Array:
                return new JsonArray(template.EnumerateArray().Select(e => Evaluate(e, scope)).ToArray());
            case JsonValueKind.Object:
                if (Operator(template) is { } op)
                {
                    return op;
                }

                var result = new JsonObject();
                foreach (var property in template.EnumerateObject())
                {
                    result[property.Name] = Evaluate(property.Value, scope);
                }

                return result;
            default:
                return JsonNode.Parse(template.GetRawText());
        }

        JsonNode? Operator(JsonElement obj)
        {
            if (obj.EnumerateObject().Count() != 1)
            {
                return null;
            }

            var property = obj.EnumerateObject().First();
            if (property.Name is not ("$concat" or "$merge"))
            {
                return null;
            }

            if (property.Value.ValueKind != JsonValueKind.Array)
            {
                throw new TemplateException($"{property.Name} takes an array");
            }

            var parts = property.Value.EnumerateArray().Select(e => Evaluate(e, scope)).Where(p => p is not null).ToList();
            if (property.Name == "$concat")
            {
                var array = new JsonArray();
                foreach (var part in parts)
                {
                    foreach (var element in part as JsonArray ?? throw new TemplateException($"$concat: expected arrays, got {part!.GetValueKind()}"))
                    {
                        array.Add(element?.DeepClone());
                    }
                }

                return array;
            }

            var merged = new JsonObject();
            foreach (var part in parts)
            {
                foreach (var (key, value) in part as JsonObject ?? throw new TemplateException($"$merge: expected objects, got {part!.GetValueKind()}"))
                {
                    merged[key] = value?.DeepClone();
                }
            }

            return merged;
        }
    }

    [GeneratedRegex(@"^\s*\{\{\s*(?<path>[A-Za-z_][\w\-]*(?:\.[\w\-\[\]]+)*)\s*\}\}\s*$")]
    private static partial Regex WholePath();
}
