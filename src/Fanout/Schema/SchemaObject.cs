using System.Text.Json;
using System.Text.RegularExpressions;

namespace Fanout.Schema;

/// <summary>A schema object being compiled: typed access to its keywords, with errors that point at the keyword.</summary>
internal sealed class SchemaObject(SchemaCompiler compiler, JsonElement element, string pointer, string baseUri)
{
    public JsonSchemaOptions Options => compiler.Options;

    public JsonElement Element => element;

    public bool Has(string keyword) => element.TryGetProperty(keyword, out _);

    public bool TryGet(string keyword, out JsonElement value) => element.TryGetProperty(keyword, out value);

    public string PathOf(string keyword) => JsonPointer.Append(pointer, keyword);

    public JsonSchemaException Invalid(string keyword, string message) => new(PathOf(keyword), message);

    /// <summary>The subschema under <paramref name="keyword"/>.</summary>
    public SchemaNode Subschema(string keyword) =>
        compiler.Compile(element.GetProperty(keyword), PathOf(keyword), baseUri);

    /// <summary>The subschemas of a non-empty array keyword (allOf, prefixItems...).</summary>
    public SchemaNode[] SchemaArray(string keyword)
    {
        var value = element.GetProperty(keyword);
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            throw Invalid(keyword, $"{keyword} must be a non-empty array of schemas");
        }

        return [.. value.EnumerateArray().Select((sub, i) => compiler.Compile(sub, JsonPointer.Append(PathOf(keyword), i), baseUri))];
    }

    /// <summary>The subschemas of an object keyword (properties, patternProperties...), in document order.</summary>
    public (string Name, SchemaNode Schema)[] SchemaMap(string keyword)
    {
        var value = element.GetProperty(keyword);
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(keyword, $"{keyword} must be an object whose values are schemas");
        }

        return [.. value.EnumerateObject().Select(p => (p.Name, compiler.Compile(p.Value, JsonPointer.Append(PathOf(keyword), p.Name), baseUri)))];
    }

    public SchemaNode Reference(string keyword, string reference) => compiler.Reference(reference, baseUri, PathOf(keyword));

    public Regex Regex(string pattern, string schemaPath) => compiler.Regex(pattern, schemaPath);

    /// <summary>A keyword whose value must be a non-negative integer (2.0 counts as 2).</summary>
    public int NonNegativeInteger(string keyword)
    {
        var value = element.GetProperty(keyword);
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var d) && d >= 0 && decimal.Truncate(d) == d)
        {
            return d > int.MaxValue ? int.MaxValue : (int)d;
        }

        throw Invalid(keyword, $"{keyword} must be a non-negative integer");
    }

    public Number Number(string keyword)
    {
        var value = element.GetProperty(keyword);
        return value.ValueKind == JsonValueKind.Number ? Schema.Number.From(value) : throw Invalid(keyword, $"{keyword} must be a number");
    }

    public string[] StringArray(string keyword, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
        {
            throw Invalid(keyword, $"{keyword} must be an array of strings");
        }

        return [.. value.EnumerateArray().Select(v => v.GetString()!)];
    }
}
