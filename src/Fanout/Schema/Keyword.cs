using System.Text.Json;

namespace Fanout.Schema;

/// <summary>One compiled keyword (or a group of keywords that must be read together, like contains + minContains).</summary>
internal abstract class Keyword(string schemaPath)
{
    /// <summary>JSON Pointer of the keyword in the schema document, reported with its errors.</summary>
    public string SchemaPath { get; } = schemaPath;

    /// <summary>True for keywords that read annotations (unevaluated*): their schema must collect them.</summary>
    public virtual bool NeedsAnnotations => false;

    public abstract bool Validate(JsonElement instance, InstancePath path, Evaluation evaluation);

    /// <summary>Reports <paramref name="message"/> at <paramref name="path"/> and returns false.</summary>
    protected bool Fail(Evaluation evaluation, InstancePath path, string message)
    {
        evaluation.Report(path, SchemaPath, message);
        return false;
    }
}
