using System.Text.Json;

namespace Fanout.Schema;

/// <summary>
/// State of one <see cref="JsonSchema.Validate"/> call: the error sink (null while probing quietly, e.g. inside
/// <c>anyOf</c>, where failures are expected and only the verdict counts), the annotation sink of the schema being
/// evaluated in place (null unless an <c>unevaluated*</c> keyword needs it) and a recursion guard.
/// </summary>
internal sealed class Evaluation(bool collectErrors)
{
    // A $ref cycle that never moves into the instance ({"$ref": "#"}) would recurse forever; real schemas stay far
    // below this depth because JSON documents are themselves limited to 64 levels by default.
    private const int MaxDepth = 512;

    private int _depth;

    /// <summary>Errors so far, or null when errors are not being collected.</summary>
    public List<SchemaError>? Errors { get; private set; } = collectErrors ? [] : null;

    /// <summary>True when nobody reads the errors, so keywords may stop at the first failure.</summary>
    public bool IsQuiet => Errors is null;

    /// <summary>Where the schema being evaluated records what it evaluated, when someone needs to know.</summary>
    public Annotations? Annotations { get; set; }

    public void Report(InstancePath path, string schemaPath, string message) =>
        Errors?.Add(new SchemaError(path.ToString(), schemaPath, message));

    /// <summary>Evaluates <paramref name="node"/> in place without reporting anything: anyOf, oneOf, if.</summary>
    public bool Probe(SchemaNode node, JsonElement instance, InstancePath path) =>
        Run(node, instance, path, errors: null, Annotations);

    /// <summary>
    /// Evaluates <paramref name="node"/> against an item or property value (quietly if asked): what it evaluates
    /// there is not an annotation of the current location.
    /// </summary>
    public bool Child(SchemaNode node, JsonElement value, InstancePath path, bool quiet = false) =>
        Run(node, value, path, quiet ? null : Errors, annotations: null);

    /// <summary>Evaluates <paramref name="node"/> and returns its errors instead of reporting them.</summary>
    public List<SchemaError> Capture(SchemaNode node, JsonElement instance, InstancePath path)
    {
        var errors = new List<SchemaError>();
        Run(node, instance, path, errors, annotations: null);
        return errors;
    }

    public bool Enter() => ++_depth <= MaxDepth;

    public void Leave() => _depth--;

    private bool Run(SchemaNode node, JsonElement instance, InstancePath path, List<SchemaError>? errors, Annotations? annotations)
    {
        var (savedErrors, savedAnnotations) = (Errors, Annotations);
        (Errors, Annotations) = (errors, annotations);
        try
        {
            return node.Validate(instance, path, this);
        }
        finally
        {
            (Errors, Annotations) = (savedErrors, savedAnnotations);
        }
    }
}
