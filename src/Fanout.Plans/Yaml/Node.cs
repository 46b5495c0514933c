namespace Fanout.Plans.Yaml;

/// <summary>
/// A node of a parsed YAML (or JSON) document with the place it was written. Fanout builds its own small tree from
/// YamlDotNet's parser events instead of using <c>YamlStream</c>: the representation model throws on the first
/// duplicate key, and a plan loader must report every problem in one pass.
/// </summary>
internal abstract class Node
{
    protected Node(SourceLocation location)
    {
        Location = location;
    }

    /// <summary>Where the node starts.</summary>
    public SourceLocation Location { get; }

    /// <summary>How many values the node stands for with every alias inside it expanded (itself included): what
    /// converting it to JSON would build, so what <see cref="NodeReader"/> bounds.</summary>
    public long Size { get; set; } = 1;

    /// <summary>The JSON type name used in messages: string, integer, number, boolean, null, array or object.</summary>
    public abstract string TypeName { get; }
}

/// <summary>How a scalar resolves under the YAML 1.2 core schema (the JSON-compatible one).</summary>
internal enum ScalarType
{
    String,
    Integer,
    Number,
    Boolean,
    Null,
}

/// <summary>A scalar: its text and the type it resolves to.</summary>
internal sealed class ScalarNode(SourceLocation location, string value, ScalarType type) : Node(location)
{
    /// <summary>The text as written (after unquoting).</summary>
    public string Value { get; } = value;

    /// <summary>The resolved type: quoted scalars are always strings; plain ones follow the YAML 1.2 core schema.</summary>
    public ScalarType Type { get; } = type;

    /// <inheritdoc />
    public override string TypeName => Type switch
    {
        ScalarType.Integer => "integer",
        ScalarType.Number => "number",
        ScalarType.Boolean => "boolean",
        ScalarType.Null => "null",
        _ => "string",
    };
}

/// <summary>A sequence (JSON array).</summary>
internal sealed class SequenceNode(SourceLocation location) : Node(location)
{
    /// <summary>The elements, in order.</summary>
    public List<Node> Items { get; } = [];

    /// <inheritdoc />
    public override string TypeName => "array";
}

/// <summary>A mapping (JSON object). Keys are unique: duplicates are reported while parsing and dropped.</summary>
internal sealed class MappingNode(SourceLocation location) : Node(location)
{
    /// <summary>The entries, in file order.</summary>
    public List<(ScalarNode Key, Node Value)> Entries { get; } = [];

    /// <inheritdoc />
    public override string TypeName => "object";

    /// <summary>The entry named <paramref name="key"/>, or null.</summary>
    public (ScalarNode Key, Node Value)? Find(string key)
    {
        foreach (var entry in Entries)
        {
            if (entry.Key.Value == key)
            {
                return entry;
            }
        }

        return null;
    }

    /// <summary>The value of <paramref name="key"/>, or null.</summary>
    public Node? this[string key] => Find(key)?.Value;
}

/// <summary>
/// Stands in for a value that could not be read (an alias to an unknown anchor). Its problem is already reported, so
/// nothing is reported again at it: <see cref="Reading.ReadContext.Error"/> ignores it.
/// </summary>
internal sealed class ErrorNode(SourceLocation location) : Node(location)
{
    /// <inheritdoc />
    public override string TypeName => "null";
}
