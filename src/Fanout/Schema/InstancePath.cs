using System.Text;

namespace Fanout.Schema;

/// <summary>
/// Where the validator is in the instance: an immutable linked list, turned into a JSON Pointer only when an error
/// is reported, so a valid instance never pays for string building.
/// </summary>
internal sealed class InstancePath
{
    public static readonly InstancePath Root = new(null, null, 0);

    private readonly InstancePath? _parent;
    private readonly string? _name;
    private readonly int _index;

    private InstancePath(InstancePath? parent, string? name, int index)
    {
        _parent = parent;
        _name = name;
        _index = index;
    }

    public InstancePath Property(string name) => new(this, name, 0);

    public InstancePath Item(int index) => new(this, null, index);

    public override string ToString()
    {
        if (_parent is null)
        {
            return "";
        }

        var segments = new Stack<InstancePath>();
        for (var p = this; p._parent is not null; p = p._parent)
        {
            segments.Push(p);
        }

        var sb = new StringBuilder();
        foreach (var p in segments)
        {
            sb.Append('/').Append(p._name is null ? p._index.ToString(System.Globalization.CultureInfo.InvariantCulture) : JsonPointer.Escape(p._name));
        }

        return sb.ToString();
    }
}
