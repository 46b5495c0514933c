using System.Text.Json;

namespace Fanout.Schema;

/// <summary>
/// A compiled JSON Schema (draft 2020-12) over <see cref="JsonElement"/>. Fanout's own validator: no JSON Schema
/// library is available to the project, so this stands in for JsonSchema.Net / NJsonSchema. Immutable and
/// thread-safe: compile once with <see cref="Parse(JsonElement, JsonSchemaOptions?)"/>, validate any number of instances concurrently.
/// </summary>
/// <remarks>What is supported and what is not is listed in <c>docs/json-schema.md</c>.</remarks>
public sealed class JsonSchema
{
    private readonly SchemaNode _root;

    private JsonSchema(SchemaNode root, JsonSchemaOptions options)
    {
        _root = root;
        Options = options;
    }

    /// <summary>The options the schema was compiled with.</summary>
    public JsonSchemaOptions Options { get; }

    /// <summary>
    /// Compiles <paramref name="schema"/>. Throws <see cref="JsonSchemaException"/> when the schema is invalid (a keyword
    /// with a value of the wrong shape, a pattern that is not a valid regular expression, a <c>$ref</c> that resolves to
    /// nothing in the document) or uses a keyword Fanout does not support (<c>$dynamicRef</c>).
    /// </summary>
    public static JsonSchema Parse(JsonElement schema, JsonSchemaOptions? options = null)
    {
        options ??= JsonSchemaOptions.Default;
        // The compiled tree keeps JsonElements (enum/const values): clone so the caller may dispose its document.
        var root = new SchemaCompiler(schema.Clone(), options).CompileRoot();
        return new JsonSchema(root, options);
    }

    /// <summary>Compiles a schema given as JSON text; see <see cref="Parse(JsonElement, JsonSchemaOptions?)"/>.</summary>
    public static JsonSchema Parse(string json, JsonSchemaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var document = JsonDocument.Parse(json);
        return Parse(document.RootElement, options);
    }

    /// <summary>Validates <paramref name="instance"/>, collecting every error (not only the first).</summary>
    public SchemaResult Validate(JsonElement instance)
    {
        var evaluation = new Evaluation(collectErrors: true);
        var valid = _root.Validate(instance, InstancePath.Root, evaluation);
        return new SchemaResult(valid, evaluation.Errors ?? []);
    }

    /// <summary>True if <paramref name="instance"/> is valid; faster than <see cref="Validate"/> (stops at the first error).</summary>
    public bool IsValid(JsonElement instance) => _root.Validate(instance, InstancePath.Root, new Evaluation(collectErrors: false));
}
