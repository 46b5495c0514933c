using System.Text.Json;
using System.Text.RegularExpressions;

namespace Fanout.Schema;

/// <summary>
/// Turns a schema document into a tree of <see cref="SchemaNode"/>s. Two passes: the first finds every identifier
/// (<c>$id</c>, <c>$anchor</c>) in schema positions; the second compiles from the root, following <c>$ref</c>s
/// eagerly so a reference to nowhere fails at <see cref="JsonSchema.Parse(JsonElement, JsonSchemaOptions?)"/>.
/// Every node is keyed by its JSON Pointer in the document, so a schema reached twice (or through a cycle) is
/// compiled once.
/// </summary>
internal sealed class SchemaCompiler(JsonElement document, JsonSchemaOptions options)
{
    // Keywords whose value is a schema, an array of schemas, or an object of schemas: where identifiers can live.
    // Anything else ("enum", "const", unknown keywords) is data, and an "$id" inside it is not an identifier.
    private static readonly string[] SingleSchemaKeywords =
        ["additionalProperties", "propertyNames", "items", "contains", "not", "if", "then", "else", "unevaluatedItems", "unevaluatedProperties", "contentSchema"];

    private static readonly string[] SchemaArrayKeywords = ["prefixItems", "allOf", "anyOf", "oneOf"];

    // "definitions" is the pre-2019 spelling of $defs: scanning it lets $id/$anchor inside older schemas resolve.
    private static readonly string[] SchemaMapKeywords = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];

    private readonly Dictionary<string, string> _resources = new(StringComparer.Ordinal);   // absolute URI -> pointer
    private readonly Dictionary<string, string> _anchors = new(StringComparer.Ordinal);     // URI#anchor -> pointer
    private readonly Dictionary<string, SchemaNode> _nodes = new(StringComparer.Ordinal);   // pointer -> node
    private readonly Dictionary<string, Regex> _regexes = new(StringComparer.Ordinal);      // pattern -> regex

    public JsonSchemaOptions Options { get; } = options;

    public SchemaNode CompileRoot()
    {
        _resources[UriReference.DefaultBase] = "";
        Scan(document, "", UriReference.DefaultBase);
        return Compile(document, "", UriReference.DefaultBase);
    }

    /// <summary>Compiles the schema <paramref name="element"/> found at <paramref name="pointer"/>.</summary>
    public SchemaNode Compile(JsonElement element, string pointer, string baseUri)
    {
        if (_nodes.TryGetValue(pointer, out var existing))
        {
            return existing;
        }

        var node = new SchemaNode(pointer);
        _nodes[pointer] = node;
        switch (element.ValueKind)
        {
            case JsonValueKind.True or JsonValueKind.False:
                node.SetBoolean(element.ValueKind == JsonValueKind.True);
                break;
            case JsonValueKind.Object:
                var schema = new SchemaObject(this, element, pointer, IdentifiedBase(element, pointer, baseUri));
                node.SetKeywords(Keywords.Compile(schema));
                break;
            default:
                throw new JsonSchemaException(pointer, $"a schema must be an object or a boolean, got {JsonValues.TypeName(element)}");
        }

        return node;
    }

    /// <summary>Resolves a <c>$ref</c> value (written at <paramref name="refPath"/>) and compiles its target.</summary>
    public SchemaNode Reference(string reference, string baseUri, string refPath)
    {
        var (uri, fragment) = UriReference.SplitFragment(UriReference.Resolve(baseUri, reference));
        if (!_resources.TryGetValue(uri, out var resource))
        {
            var where = uri.StartsWith(UriReference.DefaultBase, StringComparison.Ordinal) ? "" : $" '{uri}'";
            throw new JsonSchemaException(refPath,
                $"$ref '{reference}' does not resolve: no schema{where} in this document (remote references are not supported)");
        }

        string target;
        if (string.IsNullOrEmpty(fragment))
        {
            target = resource;
        }
        else if (fragment[0] == '/')
        {
            var tokens = JsonPointer.Parse(Uri.UnescapeDataString(fragment))
                ?? throw new JsonSchemaException(refPath, $"$ref '{reference}' has an invalid JSON Pointer fragment");
            target = resource + string.Concat(tokens.Select(t => "/" + JsonPointer.Escape(t)));
        }
        else if (!_anchors.TryGetValue(uri + "#" + Uri.UnescapeDataString(fragment), out target!))
        {
            throw new JsonSchemaException(refPath, $"$ref '{reference}' does not resolve: no $anchor '{fragment}' in that schema");
        }

        return CompileAt(target, reference, refPath);
    }

    /// <summary>The compiled regular expression for <paramref name="pattern"/>, shared by every keyword using it.</summary>
    public Regex Regex(string pattern, string schemaPath)
    {
        if (!_regexes.TryGetValue(pattern, out var regex))
        {
            try
            {
                regex = EcmaRegex.Compile(pattern, Options.RegexTimeout);
            }
            catch (ArgumentException e)
            {
                throw new JsonSchemaException(schemaPath, $"'{pattern}' is not a valid regular expression: {e.Message}", e);
            }

            _regexes[pattern] = regex;
        }

        return regex;
    }

    private SchemaNode CompileAt(string pointer, string reference, string refPath)
    {
        if (_nodes.TryGetValue(pointer, out var existing))
        {
            return existing;
        }

        // Walk down from the root to find the target and the base URI in force there (every $id on the way counts).
        var element = document;
        var baseUri = UriReference.DefaultBase;
        foreach (var token in JsonPointer.Parse(pointer)!)
        {
            if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("$id", out var id) && id.ValueKind == JsonValueKind.String)
            {
                baseUri = UriReference.SplitFragment(UriReference.Resolve(baseUri, id.GetString()!)).Uri;
            }

            if (!JsonPointer.TryResolve(element, [token], out element))
            {
                throw new JsonSchemaException(refPath, $"$ref '{reference}' does not resolve: nothing at '{pointer}'");
            }
        }

        return Compile(element, pointer, baseUri);
    }

    private static string IdentifiedBase(JsonElement schema, string pointer, string baseUri)
    {
        if (!schema.TryGetProperty("$id", out var id))
        {
            return baseUri;
        }

        if (id.ValueKind != JsonValueKind.String)
        {
            throw new JsonSchemaException(JsonPointer.Append(pointer, "$id"), "$id must be a string");
        }

        var (uri, fragment) = UriReference.SplitFragment(UriReference.Resolve(baseUri, id.GetString()!));
        if (!string.IsNullOrEmpty(fragment))
        {
            throw new JsonSchemaException(JsonPointer.Append(pointer, "$id"), "$id must not have a fragment (use $anchor)");
        }

        return uri;
    }

    private void Scan(JsonElement schema, string pointer, string baseUri)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        baseUri = IdentifiedBase(schema, pointer, baseUri);
        if (schema.TryGetProperty("$id", out _) && !_resources.TryAdd(baseUri, pointer) && _resources[baseUri] != pointer)
        {
            throw new JsonSchemaException(pointer, $"duplicate $id '{baseUri}' (also at '{_resources[baseUri]}')");
        }

        foreach (var keyword in (ReadOnlySpan<string>)["$anchor", "$dynamicAnchor"])
        {
            if (!schema.TryGetProperty(keyword, out var anchor))
            {
                continue;
            }

            if (anchor.ValueKind != JsonValueKind.String || !IsAnchorName(anchor.GetString()!))
            {
                throw new JsonSchemaException(JsonPointer.Append(pointer, keyword), $"{keyword} must be a plain name (letters, digits, '-', '_', '.')");
            }

            // A $dynamicAnchor is also a plain anchor; without $dynamicRef support that is all it is.
            if (!_anchors.TryAdd(baseUri + "#" + anchor.GetString(), pointer) && keyword == "$anchor" && _anchors[baseUri + "#" + anchor.GetString()] != pointer)
            {
                throw new JsonSchemaException(JsonPointer.Append(pointer, keyword), $"duplicate $anchor '{anchor.GetString()}'");
            }
        }

        foreach (var keyword in SingleSchemaKeywords)
        {
            if (schema.TryGetProperty(keyword, out var sub))
            {
                Scan(sub, JsonPointer.Append(pointer, keyword), baseUri);
            }
        }

        foreach (var keyword in SchemaArrayKeywords)
        {
            if (schema.TryGetProperty(keyword, out var array) && array.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var sub in array.EnumerateArray())
                {
                    Scan(sub, JsonPointer.Append(JsonPointer.Append(pointer, keyword), i++), baseUri);
                }
            }
        }

        foreach (var keyword in SchemaMapKeywords)
        {
            if (schema.TryGetProperty(keyword, out var map) && map.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in map.EnumerateObject())
                {
                    Scan(property.Value, JsonPointer.Append(JsonPointer.Append(pointer, keyword), property.Name), baseUri);
                }
            }
        }
    }

    private static bool IsAnchorName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
