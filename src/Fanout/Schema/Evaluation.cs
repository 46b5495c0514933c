namespace Fanout.Schema;

/// <summary>
/// State of one <see cref="JsonSchema.Validate"/> call: the error sink (null while probing quietly, e.g. inside
/// <c>anyOf</c>, where failures are expected and only the verdict counts) and a recursion guard.
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

    public void Report(InstancePath path, string schemaPath, string message) =>
        Errors?.Add(new SchemaError(path.ToString(), schemaPath, message));

    /// <summary>Evaluates <paramref name="node"/> without reporting anything: for anyOf, oneOf, not, if, contains.</summary>
    public bool Probe(SchemaNode node, System.Text.Json.JsonElement instance, InstancePath path)
    {
        var saved = Errors;
        Errors = null;
        try
        {
            return node.Validate(instance, path, this);
        }
        finally
        {
            Errors = saved;
        }
    }

    /// <summary>Evaluates <paramref name="node"/> and returns its errors instead of reporting them.</summary>
    public List<SchemaError> Capture(SchemaNode node, System.Text.Json.JsonElement instance, InstancePath path)
    {
        var saved = Errors;
        Errors = [];
        try
        {
            node.Validate(instance, path, this);
            return Errors;
        }
        finally
        {
            Errors = saved;
        }
    }

    public bool Enter() => ++_depth <= MaxDepth;

    public void Leave() => _depth--;
}
