using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Fanout;

/// <summary>
/// A JSON Schema compiled once by JsonSchema.Net (draft 2020-12 unless the schema's <c>$schema</c> names another
/// draft; <c>format</c> asserted), validating with Fanout's messages: <c>/pages/2/title: must be string, got integer</c>.
/// Immutable and thread-safe: validate any number of instances concurrently.
/// </summary>
public sealed class CompiledSchema
{
    // Formats are assertions, not the 2020-12 annotations: a malformed date or URI in a model's answer is exactly what
    // a schema author who wrote "format" wants caught. Unknown formats still pass.
    private static readonly EvaluationOptions Detailed = new() { OutputFormat = Json.Schema.OutputFormat.Hierarchical, RequireFormatValidation = true };
    private static readonly EvaluationOptions Verdict = new() { OutputFormat = Json.Schema.OutputFormat.Flag, RequireFormatValidation = true };

    private readonly JsonSchema _schema;
    private readonly Dictionary<string, JsonElement> _subschemas;

    private CompiledSchema(JsonSchema schema, Dictionary<string, JsonElement> subschemas)
    {
        _schema = schema;
        _subschemas = subschemas;
    }

    /// <summary>
    /// Compiles <paramref name="schema"/>, or says why it is not a schema: a keyword with a value of the wrong shape,
    /// a pattern that is not a regular expression, a <c>$ref</c> that resolves to nothing (remote references are not
    /// fetched), a <c>$ref</c> cycle.
    /// </summary>
    public static bool TryCompile(JsonElement schema, [NotNullWhen(true)] out CompiledSchema? compiled, [NotNullWhen(false)] out string? error)
    {
        (compiled, error) = (null, null);
        // The compiled tree keeps JsonElements, so it gets a copy the caller may dispose of.
        if (Build(schema.Clone(), out var built) is { } reason)
        {
            error = SchemaMessages.CompileError(schema, reason);
            return false;
        }

        var subschemas = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (Index(built.Root, subschemas) is { } unresolved)
        {
            error = SchemaMessages.UnresolvedRef(schema, unresolved);
            return false;
        }

        compiled = new CompiledSchema(built, subschemas);
        return true;
    }

    /// <summary>Compiles a schema known to be valid (Fanout's own, a plan's after validation).</summary>
    /// <exception cref="ArgumentException">The schema is invalid.</exception>
    public static CompiledSchema Compile(JsonElement schema) =>
        TryCompile(schema, out var compiled, out var error) ? compiled : throw new ArgumentException($"invalid JSON Schema: {error}", nameof(schema));

    /// <summary>Compiles a schema given as JSON text; see <see cref="Compile(JsonElement)"/>.</summary>
    public static CompiledSchema Compile(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Compile(document.RootElement);
    }

    /// <summary>Every reason <paramref name="instance"/> breaks the schema, each once; empty when it conforms.</summary>
    public IReadOnlyList<SchemaError> Validate(JsonElement instance)
    {
        try
        {
            // The verdict first: most instances conform, and only a failure needs the detailed results.
            return _schema.Evaluate(instance, Verdict).IsValid ? [] : new SchemaMessages(instance, _subschemas).Of(_schema.Evaluate(instance, Detailed));
        }
        catch (Exception e) when (Unevaluable(e) is { } reason)
        {
            return [new SchemaError("", reason)];
        }
    }

    /// <summary>True when <paramref name="instance"/> conforms; cheaper than <see cref="Validate"/> (no messages).</summary>
    public bool IsValid(JsonElement instance)
    {
        try
        {
            return _schema.Evaluate(instance, Verdict).IsValid;
        }
        catch (Exception e) when (Unevaluable(e) is not null)
        {
            return false;
        }
    }

    /// <summary>Why an evaluation threw, for the errors that belong to the instance or the schema rather than a bug.</summary>
    private static string? Unevaluable(Exception e) => e switch
    {
        RegexMatchTimeoutException timeout => $"matching the pattern '{timeout.Pattern}' took too long",
        RefResolutionException or JsonSchemaException => $"the schema cannot be evaluated: {e.Message}", // a $dynamicRef to nowhere
        _ => null,
    };

    /// <summary>Why <paramref name="schema"/> does not compile, or null when it does.</summary>
    internal static string? BuildError(JsonElement schema) => Build(schema, out _);

    /// <summary>Builds <paramref name="schema"/>; returns why it is not a schema, or null.</summary>
    private static string? Build(JsonElement schema, out JsonSchema built)
    {
        built = null!;
        try
        {
            // A registry of its own: schemas with the same $id (two plans, two tests) never see each other.
            built = JsonSchema.Build(schema, new BuildOptions { SchemaRegistry = new SchemaRegistry(), Dialect = SchemaDialect.Default, DialectRegistry = SchemaDialect.Registry });
            return null;
        }
        catch (Exception e) when (e is JsonSchemaException or RefResolutionException or ArgumentException or InvalidOperationException)
        {
            // ArgumentException: a pattern that is not a regular expression (RegexParseException); InvalidOperationException:
            // a keyword whose value has the wrong JSON kind (properties: null).
            return e.Message;
        }
    }

    /// <summary>
    /// Records every subschema's JSON under the location evaluation results name it by, and returns the value of the
    /// first <c>$ref</c> that resolves to nothing (JsonSchema.Net only notices those when an instance reaches them).
    /// </summary>
    private static string? Index(JsonSchemaNode root, Dictionary<string, JsonElement> subschemas)
    {
        var seen = new HashSet<JsonSchemaNode>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<JsonSchemaNode>([root]);
        while (pending.TryPop(out var node))
        {
            if (!seen.Add(node) || node.Source.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            subschemas.TryAdd(SchemaMessages.LocationOf(node), node.Source);
            foreach (var keyword in node.Keywords)
            {
                if (keyword.Handler.Name == "$ref" && keyword.Subschemas is not { Length: > 0 })
                {
                    return keyword.RawValue.GetString();
                }

                foreach (var subschema in keyword.Subschemas ?? [])
                {
                    pending.Push(subschema);
                }
            }
        }

        return null;
    }
}
