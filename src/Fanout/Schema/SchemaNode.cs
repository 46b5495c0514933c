using System.Text.Json;

namespace Fanout.Schema;

/// <summary>One compiled (sub)schema: a boolean schema, or the keywords of a schema object.</summary>
internal sealed class SchemaNode
{
    private Keyword[] _keywords = [];
    private bool? _boolean;
    private bool _needsAnnotations;

    public SchemaNode(string location)
    {
        Location = location;
    }

    /// <summary>JSON Pointer of this schema in the schema document.</summary>
    public string Location { get; }

    /// <summary>True for the schema <c>false</c>, which nothing satisfies.</summary>
    public bool IsFalse => _boolean == false;

    /// <summary>True for <c>true</c> and <c>{}</c>, which everything satisfies.</summary>
    public bool IsTrue => _boolean == true || (_boolean is null && _keywords.Length == 0);

    // Nodes are created before their keywords are compiled so that a $ref cycle can point at a node still being built.
    public void SetBoolean(bool value) => _boolean = value;

    public void SetKeywords(Keyword[] keywords)
    {
        _keywords = keywords;
        _needsAnnotations = keywords.Any(k => k.NeedsAnnotations);
    }

    public bool Validate(JsonElement instance, InstancePath path, Evaluation evaluation)
    {
        if (_boolean is { } b)
        {
            if (!b)
            {
                evaluation.Report(path, Location, "no value is allowed here (the schema is false)");
            }

            return b;
        }

        if (!evaluation.Enter())
        {
            evaluation.Leave();
            evaluation.Report(path, Location, "schema recursion is too deep (a $ref cycle that never moves into the instance?)");
            return false;
        }

        // Collect what this schema evaluates when it (unevaluated*) or the schema it is applied in place of needs it.
        var outer = evaluation.Annotations;
        var own = outer is not null || _needsAnnotations ? new Annotations() : null;
        evaluation.Annotations = own;
        var valid = true;
        try
        {
            foreach (var keyword in _keywords)
            {
                if (!keyword.Validate(instance, path, evaluation))
                {
                    valid = false;
                    if (evaluation.IsQuiet)
                    {
                        break;
                    }
                }
            }
        }
        finally
        {
            evaluation.Annotations = outer;
            evaluation.Leave();
        }

        if (valid && outer is not null)
        {
            outer.Merge(own!);
        }

        return valid;
    }
}
