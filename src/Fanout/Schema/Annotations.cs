namespace Fanout.Schema;

/// <summary>
/// What the keywords of one schema evaluated at one instance location: property names and item indexes.
/// Only <c>unevaluatedProperties</c> / <c>unevaluatedItems</c> read these, so they are collected only while a schema
/// with one of those keywords is being evaluated (otherwise <see cref="Evaluation.Annotations"/> is null).
/// A subschema that fails contributes nothing, which is why every node collects into its own set and merges into
/// its parent's only when valid.
/// </summary>
internal sealed class Annotations
{
    private HashSet<string>? _properties;
    private HashSet<int>? _items;
    private int _itemsBefore; // items [0, _itemsBefore) were evaluated (prefixItems, items)

    public void AddProperty(string name) => (_properties ??= new(StringComparer.Ordinal)).Add(name);

    public void AddItem(int index) => (_items ??= []).Add(index);

    public void AddItemsBefore(int count) => _itemsBefore = Math.Max(_itemsBefore, count);

    public bool HasProperty(string name) => _properties?.Contains(name) == true;

    public bool HasItem(int index) => index < _itemsBefore || _items?.Contains(index) == true;

    public void Merge(Annotations other)
    {
        if (other._properties is not null)
        {
            (_properties ??= new(StringComparer.Ordinal)).UnionWith(other._properties);
        }

        if (other._items is not null)
        {
            (_items ??= []).UnionWith(other._items);
        }

        AddItemsBefore(other._itemsBefore);
    }
}
