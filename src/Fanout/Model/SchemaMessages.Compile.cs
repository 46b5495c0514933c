using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fanout;

/// <summary>Compile errors: JsonSchema.Net's reason, prefixed with the place in the schema document it concerns.</summary>
internal sealed partial class SchemaMessages
{
    // Locating costs a build per object tried; a huge schema gets its reason without a place rather than a long wait.
    private const int LocatingBuilds = 500;

    /// <summary>"/properties/title/type: 'strin' is not a valid JSON Schema value type" for a schema that fails with <paramref name="reason"/>.</summary>
    public static string CompileError(JsonElement schema, string reason) => $"{Locate(schema, reason)}{reason}";

    /// <summary>"/items/$ref: $ref '#/$defs/missing' does not resolve: …".</summary>
    public static string UnresolvedRef(JsonElement schema, string reference) =>
        $"{RefPointer(schema, reference)}$ref '{reference}' does not resolve: nothing in this schema has that location "
        + "(remote references are not fetched; put the schema under $defs)";

    /// <summary>
    /// "/properties/title/type: " for the keyword that makes <paramref name="schema"/> fail with <paramref name="reason"/>
    /// (JsonSchema.Net's messages name no place): the deepest object that fails alone with the same reason, then the
    /// keyword without which it builds. Only failed compiles pay for the extra builds, and a bounded number of them.
    /// </summary>
    private static string Locate(JsonElement schema, string reason)
    {
        var builds = 0;
        bool FailsTheSame(JsonElement value) => ++builds <= LocatingBuilds && CompiledSchema.BuildError(value) == reason;

        (string Pointer, JsonElement Value)? Deepest(JsonElement value, string pointer)
        {
            foreach (var (name, child) in Children(value))
            {
                if (Deepest(child, $"{pointer}/{name}") is { } deeper)
                {
                    return deeper;
                }
            }

            // A map of schemas (properties) may build while a schema inside it fails: only objects that fail alone count.
            return value.ValueKind == JsonValueKind.Object && pointer.Length > 0 && FailsTheSame(value) ? (pointer, value) : null;
        }

        var (at, culprit) = Deepest(schema, "") ?? ("", schema);
        var keyword = culprit.EnumerateObject().FirstOrDefault(p => builds < LocatingBuilds && !FailsTheSame(Without(culprit, p.Name)));
        if (keyword.Value.ValueKind != JsonValueKind.Undefined)
        {
            at = $"{at}/{Escape(keyword.Name)}";
        }

        return at.Length == 0 ? "" : $"{at}: ";
    }

    private static IEnumerable<(string Name, JsonElement Value)> Children(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => value.EnumerateObject().Select(p => (Escape(p.Name), p.Value)),
        JsonValueKind.Array => value.EnumerateArray().Select((item, i) => (i.ToString(CultureInfo.InvariantCulture), item)),
        _ => [],
    };

    /// <summary>"/items/$ref: " for the first <c>$ref</c> in the document whose value is <paramref name="reference"/>.</summary>
    private static string RefPointer(JsonElement schema, string reference, string pointer = "")
    {
        foreach (var (name, value) in Children(schema))
        {
            if (name == "$ref" && value.ValueKind == JsonValueKind.String && value.GetString() == reference)
            {
                return $"{pointer}/$ref: ";
            }

            if (RefPointer(value, reference, $"{pointer}/{name}") is { Length: > 0 } found)
            {
                return found;
            }
        }

        return "";
    }

    private static JsonElement Without(JsonElement schema, string keyword)
    {
        var copy = JsonNode.Parse(schema.GetRawText())!.AsObject();
        copy.Remove(keyword);
        return JsonSerializer.SerializeToElement(copy);
    }
}
