using System.Collections.Immutable;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Json.Pointer;
using Json.Schema;

namespace Fanout;

/// <summary>
/// Fanout's error messages, read off JsonSchema.Net's hierarchical results: each failing keyword becomes
/// "where: what was expected, what was found", worded from the keyword's value in the schema and the failing value in
/// the instance. Those messages are what users read in reports and what a repair retry quotes back to the model.
/// </summary>
internal sealed partial class SchemaMessages(JsonElement instance, IReadOnlyDictionary<string, JsonElement> subschemas)
{
    private const int EnumValuesListed = 10;
    private const int ValueLength = 40;

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Applicators whose failures their subschemas explain: their own error (if any) would only say "a subschema failed".
    private static readonly HashSet<string> Applicators = new(StringComparer.Ordinal)
    {
        "$ref", "$dynamicRef", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "properties", "patternProperties",
        "additionalProperties", "unevaluatedProperties", "items", "prefixItems", "unevaluatedItems", "dependentSchemas",
        "propertyNames", "contentSchema",
    };

    private readonly List<SchemaError> _errors = [];

    /// <summary>The key a results node's <see cref="EvaluationResults.SchemaLocation"/> has for <paramref name="node"/>.</summary>
    public static string LocationOf(JsonSchemaNode node)
    {
#pragma warning disable CS0618 // "advanced usage": it is how JsonSchema.Net itself names a subschema in its results
        return new Uri(node.BaseUri, "#" + node.PathFromResourceRoot).ToString();
#pragma warning restore CS0618
    }

    /// <summary>The errors of an invalid evaluation, each once, in the order the schema's keywords found them.</summary>
    public IReadOnlyList<SchemaError> Of(EvaluationResults results) => Of(results, Locator.Identity);

    private IReadOnlyList<SchemaError> Of(EvaluationResults results, Locator locator)
    {
        Node(results, locator, via: null, parent: null);
        return _errors.Count > 0 ? [.. _errors.Distinct()] : [new SchemaError("", "does not satisfy the schema")];
    }

    /// <param name="node">An invalid results node.</param>
    /// <param name="locator">Turns the library's instance locations into the true ones.</param>
    /// <param name="via">The keyword of the parent that applied this subschema.</param>
    /// <param name="parent">The parent's schema.</param>
    private void Node(EvaluationResults node, Locator locator, string? via, JsonElement? parent)
    {
        var at = locator.Locate(node.InstanceLocation);
        var value = at.Resolve(instance);
        var schema = subschemas.TryGetValue(node.SchemaLocation.ToString(), out var s) ? s : (JsonElement?)null;
        foreach (var (keyword, message) in node.Errors ?? [])
        {
            if (keyword.Length == 0)
            {
                FalseSchema(at, via, parent);
            }
            else if (!Applicators.Contains(keyword))
            {
                foreach (var line in Describe(keyword, schema, value, node) ?? [message])
                {
                    Add(at, line);
                }
            }
        }

        var depth = node.EvaluationPath.SegmentCount;
        foreach (var group in (node.Details ?? []).GroupBy(c => c.EvaluationPath.SegmentCount > depth ? c.EvaluationPath[depth].ToString() : ""))
        {
            switch (group.Key)
            {
                case "anyOf" when !group.Any(b => b.IsValid):
                    Add(at, $"must match at least one anyOf schema: {Explain(group, locator, at)}");
                    break;
                case "oneOf" when group.Count(b => b.IsValid) is var matched && matched != 1:
                    Add(at, matched == 0
                        ? $"must match exactly one oneOf schema, matched none: {Explain(group, locator, at)}"
                        : $"must match exactly one oneOf schema, matched several ({string.Join(" and ", group.Where(b => b.IsValid).Take(2).Select(Branch))})");
                    break;
                case "not" when group.Any(b => b.IsValid):
                    Add(at, "must not match the schema in 'not'");
                    break;
                case "propertyNames":
                    foreach (var name in group.Where(n => !n.IsValid))
                    {
                        // The instance the subschema saw is the name itself, a string standing where the property is.
                        var text = Unescape(name.InstanceLocation[name.InstanceLocation.SegmentCount - 1].ToString());
                        var reason = new SchemaMessages(JsonSerializer.SerializeToElement(text), subschemas)
                            .Of(name, locator.Dropping(name.InstanceLocation.SegmentCount))[0].Message;
                        Add(at, $"property name '{text}' is invalid: {reason}");
                    }

                    break;
                case "anyOf" or "oneOf" or "not" or "if" or "contains":
                    break; // probes: their failures are expected, and the keyword that reads them reports
                default:
                    // JsonSchema.Net 8.0.5 numbers the items after prefixItems from 0: put them where they are.
                    var items = group.Key == "items" && PrefixLength(schema) is > 0 and var prefix
                        ? locator.Shifting(node.InstanceLocation.SegmentCount, prefix)
                        : locator;
                    foreach (var child in group.Where(c => !c.IsValid))
                    {
                        Node(child, items, group.Key, schema);
                    }

                    break;
            }
        }
    }

    /// <summary>"[0] must be string, got object; [1] at /id: …": the first error of each failed branch.</summary>
    private string Explain(IEnumerable<EvaluationResults> branches, Locator locator, Path at) =>
        string.Join("; ", branches.Select(branch =>
        {
            var first = new SchemaMessages(instance, subschemas).Of(branch, locator)[0];
            var where = first.InstancePath == at.Pointer ? "" : $"at {first.InstancePath[at.Pointer.Length..]}: ";
            return $"{Branch(branch)} {where}{first.Message}";
        }));

    /// <summary>A property name as a JSON Pointer segment ("a/b" is "a~1b").</summary>
    private static string Escape(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static string Unescape(string segment) => segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);

    private static int PrefixLength(JsonElement? schema) =>
        schema?.TryGetProperty("prefixItems", out var prefix) == true && prefix.ValueKind == JsonValueKind.Array ? prefix.GetArrayLength() : 0;

    private static string Branch(EvaluationResults branch) => $"[{branch.EvaluationPath[branch.EvaluationPath.SegmentCount - 1].ToString()}]";

    /// <summary>A <c>false</c> subschema failed: say what it forbids, named by the keyword that applied it.</summary>
    private void FalseSchema(Path at, string? via, JsonElement? parent)
    {
        switch (via)
        {
            case "additionalProperties" or "unevaluatedProperties" or "properties" or "patternProperties":
                Add(at.Parent, via == "unevaluatedProperties"
                    ? $"property '{at.Last}' is not allowed (unevaluatedProperties is false)"
                    : $"property '{at.Last}' is not allowed");
                break;
            case "items":
                var allowed = PrefixLength(parent);
                var count = at.Parent.Resolve(instance) is { ValueKind: JsonValueKind.Array } array ? array.GetArrayLength() : 0;
                Add(at.Parent, $"must have at most {allowed} {Plural(allowed, "item", "items")}, got {count}");
                break;
            case "unevaluatedItems" or "prefixItems":
                Add(at, $"item is not allowed ({via} is false)");
                break;
            default:
                Add(at, "no value is allowed here (the schema is false)");
                break;
        }
    }

    /// <summary>
    /// The messages for one failed assertion keyword, or null to keep the library's: when the subschema or the value
    /// is not at hand, or the keyword is one Fanout has no wording for.
    /// </summary>
    private static string[]? Describe(string keyword, JsonElement? schema, JsonElement? value, EvaluationResults node)
    {
        if (schema is not { } s || value is not { } v || !s.TryGetProperty(keyword, out var limit))
        {
            return null;
        }

        try
        {
            return keyword switch
            {
                "type" => [$"must be {Expected(limit)}, got {InputResolver.JsonTypeOf(v)}"],
                "enum" => [limit.GetArrayLength() == 0
                    ? "no value is allowed (enum is empty)"
                    : $"must be one of {string.Join(", ", limit.EnumerateArray().Take(EnumValuesListed).Select(e => Render(e)))}{(limit.GetArrayLength() > EnumValuesListed ? ", …" : "")}; got {Render(v)}"],
                "const" => [$"must be {Render(limit, 60)}, got {Render(v)}"],
                "minLength" or "maxLength" => [$"must be at {Bound(keyword)} {limit} {Plural(limit, "character", "characters")} long, got {v.GetString()!.EnumerateRunes().Count()}"],
                "pattern" => [$"must match the pattern '{limit.GetString()}'"],
                "format" => [$"must be a valid {limit.GetString()}, got {Render(v)}"],
                "minimum" => [$"must be >= {limit}, got {v}"],
                "exclusiveMinimum" => [$"must be > {limit}, got {v}"],
                "maximum" => [$"must be <= {limit}, got {v}"],
                "exclusiveMaximum" => [$"must be < {limit}, got {v}"],
                "multipleOf" => [$"must be a multiple of {limit}, got {v}"],
                "minItems" or "maxItems" => [$"must have at {Bound(keyword)} {limit} {Plural(limit, "item", "items")}, got {v.GetArrayLength()}"],
                "minProperties" or "maxProperties" => [$"must have at {Bound(keyword)} {limit} {Plural(limit, "property", "properties")}, got {v.EnumerateObject().Count()}"],
                "uniqueItems" => [$"must not contain duplicate items{Duplicates(v)}"],
                "contains" or "minContains" or "maxContains" => [Contains(s, node)],
                "required" => [.. Missing(limit, v).Select(name => $"missing required property '{name}'")],
                "dependentRequired" => [.. limit.EnumerateObject()
                    .Where(trigger => v.TryGetProperty(trigger.Name, out _))
                    .SelectMany(trigger => Missing(trigger.Value, v).Select(name => $"missing property '{name}', required when '{trigger.Name}' is present"))],
                _ => null,
            };
        }
        catch (InvalidOperationException)
        {
            return null; // the value is not of the kind the keyword failed on: trust the library's words over ours
        }
    }

    private void Add(Path at, string message) => _errors.Add(new SchemaError(at.Pointer, message));

    private static string Expected(JsonElement type)
    {
        var types = type.ValueKind == JsonValueKind.Array ? [.. type.EnumerateArray().Select(t => t.GetString()!)] : new[] { type.GetString()! };
        return types.Length == 1 ? types[0] : $"{string.Join(", ", types[..^1])} or {types[^1]}";
    }

    private static IEnumerable<string> Missing(JsonElement names, JsonElement value) =>
        names.EnumerateArray().Select(n => n.GetString()!).Where(n => !value.TryGetProperty(n, out _));

    private static string Contains(JsonElement schema, EvaluationResults node)
    {
        var depth = node.EvaluationPath.SegmentCount;
        var matching = node.Details?.Count(d => d.IsValid && d.EvaluationPath.SegmentCount > depth && d.EvaluationPath[depth] == "contains") ?? 0;
        var min = schema.TryGetProperty("minContains", out var minContains) ? minContains.GetInt32() : 1;
        return matching < min || !schema.TryGetProperty("maxContains", out var max)
            ? $"must contain at least {min} {Plural(min, "item", "items")} matching 'contains', got {matching}"
            : $"must contain at most {max} {Plural(max, "item", "items")} matching 'contains', got {matching}";
    }

    private static string Duplicates(JsonElement array)
    {
        var items = array.EnumerateArray().ToArray();
        for (var i = 0; i < items.Length; i++)
        {
            for (var j = i + 1; j < items.Length; j++)
            {
                if (JsonElement.DeepEquals(items[i], items[j]))
                {
                    return $" (items {i} and {j} are equal)";
                }
            }
        }

        return "";
    }

    private static string Bound(string keyword) => keyword.StartsWith("min", StringComparison.Ordinal) ? "least" : "most";

    private static string Plural(JsonElement count, string singular, string plural) => count.ToString() == "1" ? singular : plural;

    private static string Plural(int count, string singular, string plural) => count == 1 ? singular : plural;

    /// <summary>Compact JSON for messages, cut at <paramref name="max"/> characters.</summary>
    private static string Render(JsonElement value, int max = ValueLength)
    {
        var text = JsonSerializer.Serialize(value, Compact);
        return text.Length <= max ? text : text[..(max - 1)] + "…";
    }

    /// <summary>
    /// Turns the library's instance locations into true ones: leading segments dropped (a property name is evaluated
    /// as an instance of its own) and item indexes moved on (<see cref="Shifting"/>).
    /// </summary>
    private sealed record Locator(int Drop, ImmutableArray<(int Depth, int Offset)> Shifts)
    {
        public static readonly Locator Identity = new(0, []);

        /// <summary>The same, and the index at <paramref name="depth"/> is <paramref name="offset"/> further on.</summary>
        public Locator Shifting(int depth, int offset) => this with { Shifts = Shifts.Add((depth, offset)) };

        public Locator Dropping(int segments) => this with { Drop = segments };

        public Path Locate(JsonPointer location)
        {
            var segments = new string[location.SegmentCount];
            for (var i = 0; i < segments.Length; i++)
            {
                segments[i] = location[i].ToString();
            }

            foreach (var (depth, offset) in Shifts)
            {
                if (depth < segments.Length && int.TryParse(segments[depth], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    segments[depth] = (index + offset).ToString(CultureInfo.InvariantCulture);
                }
            }

            return new Path(segments[Math.Min(Drop, segments.Length)..]);
        }
    }

    /// <summary>An instance location: JSON Pointer segments, escaped.</summary>
    private sealed record Path(string[] Segments)
    {
        public string Pointer => string.Concat(Segments.Select(s => "/" + s));

        public string? Last => Segments.Length == 0 ? null : SchemaMessages.Unescape(Segments[^1]);

        public Path Parent => new(Segments.Length == 0 ? [] : Segments[..^1]);

        /// <summary>The value at this location in <paramref name="root"/>, or null when there is none.</summary>
        public JsonElement? Resolve(JsonElement root)
        {
            var current = root;
            foreach (var segment in Segments)
            {
                var name = SchemaMessages.Unescape(segment);
                if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(name, out var property))
                {
                    current = property;
                }
                else if (current.ValueKind == JsonValueKind.Array && int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                         && index < current.GetArrayLength())
                {
                    current = current[index];
                }
                else
                {
                    return null;
                }
            }

            return current;
        }
    }
}
