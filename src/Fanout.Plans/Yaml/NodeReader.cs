using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Fanout.Plans.Yaml;

/// <summary>
/// Builds a <see cref="Node"/> tree from YamlDotNet's parser events. JSON goes through the same path (YAML 1.2 is a
/// superset of JSON), so both formats get line and column numbers. Problems that do not stop parsing (duplicate keys,
/// unknown aliases, a second document) become diagnostics and reading goes on; a syntax error stops it with one
/// diagnostic at the parser's position. Input is bounded: nesting depth (the tree is walked recursively later) and the
/// number of values once aliases are expanded (a few hundred bytes of nested aliases can stand for billions of values),
/// each reported where the limit is crossed.
/// </summary>
internal static class NodeReader
{
    private const string MergeKey = "<<";

    /// <summary>The deepest nesting of lists and mappings; the JSON a plan becomes has the same limit by default.</summary>
    public const int MaxDepth = 64;

    /// <summary>The most values a document may stand for with its aliases expanded.</summary>
    public const long MaxValues = 1_000_000;

    /// <summary>The document's root, or null when the text is empty or unparseable (then a diagnostic says why).</summary>
    /// <param name="text">YAML or JSON text.</param>
    /// <param name="file">The label locations carry.</param>
    /// <param name="diagnostics">Where problems go.</param>
    /// <param name="json">The text is JSON: tabs may indent it (YAML forbids that), so they become spaces. Valid JSON
    /// has no raw tab inside strings, and one space for one tab keeps every column number.</param>
    public static Node? Read(string text, string file, List<PlanDiagnostic> diagnostics, bool json = false)
    {
        var builder = new Builder(file, diagnostics);
        var parser = new Parser(new StringReader(json ? text.Replace('\t', ' ') : text));
        var last = new SourceLocation(file, 1, 1);
        try
        {
            while (parser.MoveNext())
            {
                var e = parser.Current!;
                last = builder.At(e.Start);
                if (!builder.Accept(e))
                {
                    break;
                }
            }

            if (builder.OverLimit)
            {
                return null;
            }
        }
        catch (YamlException e)
        {
            diagnostics.Add(new(YamlErrors.Describe(e.Message, json), YamlErrors.Locate(e.Message, text, builder.At(e.Start))));
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            // YamlDotNet's scanner sometimes fails with a bare exception (e.g. an unclosed '[' at the end of a line):
            // the best position we have is the last event it produced.
            diagnostics.Add(new($"invalid {(json ? "JSON" : "YAML")} after this point: check for an unclosed '[', '{{' or quote", last));
            return null;
        }

        return builder.Root;
    }

    private sealed class Frame(Node container, long valuesBefore)
    {
        public Node Container { get; } = container;

        /// <summary>The document's value count when this container opened: its own size is the difference at its end.</summary>
        public long ValuesBefore { get; } = valuesBefore;

        /// <summary>For mappings: the key waiting for its value.</summary>
        public ScalarNode? Key { get; set; }

        /// <summary>The next value belongs to a rejected key (duplicate or non-scalar) and is dropped.</summary>
        public bool SkipValue { get; set; }

        /// <summary>The key half of a mapping entry is being read (a non-scalar key is still being built).</summary>
        public bool ExpectKey => Key is null && !SkipValue;

        public Dictionary<string, ScalarNode> Keys { get; } = new(StringComparer.Ordinal);
    }

    private sealed class Builder(string file, List<PlanDiagnostic> diagnostics)
    {
        private readonly Stack<Frame> _stack = new();
        private readonly HashSet<Node> _open = [];
        private readonly Dictionary<string, Node> _anchors = new(StringComparer.Ordinal);
        private int _documents;
        private long _values;

        public Node? Root { get; private set; }

        /// <summary>A limit was crossed: the document is not read further and has no usable root.</summary>
        public bool OverLimit { get; private set; }

        public SourceLocation At(Mark mark) => new(file, (int)mark.Line, (int)mark.Column);

        /// <summary>Consumes one event; false to stop reading.</summary>
        public bool Accept(ParsingEvent e)
        {
            switch (e)
            {
                case DocumentStart when ++_documents > 1:
                    diagnostics.Add(new("a plan file holds one YAML document; remove this second one (or the '---' before it)", At(e.Start)));
                    return false;
                case Scalar s:
                    Add(Anchor(s.Anchor, ScalarResolver.Resolve(s, At(s.Start))));
                    return Count(1, e);
                case SequenceStart s:
                    return Open(s.Anchor, new SequenceNode(At(s.Start)), e);
                case MappingStart m:
                    return Open(m.Anchor, new MappingNode(At(m.Start)), e);
                case SequenceEnd or MappingEnd:
                    var frame = _stack.Pop();
                    var done = frame.Container;
                    _open.Remove(done);
                    if (done is MappingNode mapping)
                    {
                        ApplyMergeKeys(mapping);
                    }

                    done.Size = _values - frame.ValuesBefore;
                    Add(done);
                    break;
                case AnchorAlias alias:
                    return Alias(alias);
            }

            return true;
        }

        private bool Open(AnchorName anchor, Node container, ParsingEvent e)
        {
            if (_stack.Count >= MaxDepth)
            {
                diagnostics.Add(new($"lists and mappings are nested more than {MaxDepth} levels deep here; flatten the structure", At(e.Start)));
                OverLimit = true;
                return false;
            }

            _stack.Push(new Frame(Anchor(anchor, container), _values));
            _open.Add(container);
            return Count(1, e);
        }

        private bool Alias(AnchorAlias alias)
        {
            var name = alias.Value.Value;
            if (!_anchors.TryGetValue(name, out var target))
            {
                diagnostics.Add(new($"unknown alias '*{name}': define '&{name}' before using it", At(alias.Start)));
                Add(new ErrorNode(At(alias.Start)));
                return true;
            }

            if (_open.Contains(target))
            {
                diagnostics.Add(new($"alias '*{name}' is used inside the value '&{name}' names, which would make that value infinite", At(alias.Start)));
                OverLimit = true;
                return false;
            }

            Add(target);
            return Count(target.Size, alias);
        }

        /// <summary>Adds <paramref name="values"/> to the document's expanded size; false (after a diagnostic) past the limit.</summary>
        private bool Count(long values, ParsingEvent at)
        {
            _values += values;
            if (_values <= MaxValues)
            {
                return true;
            }

            diagnostics.Add(new($"the document stands for more than {MaxValues.ToString("N0", CultureInfo.InvariantCulture)} values here once its aliases are expanded; " +
                "a plan needs far fewer (is an alias repeated inside aliases?)", At(at.Start)));
            OverLimit = true;
            return false;
        }

        private Node Anchor(AnchorName anchor, Node node)
        {
            if (!anchor.IsEmpty)
            {
                _anchors[anchor.Value] = node;
            }

            return node;
        }

        private void Add(Node node)
        {
            if (_stack.Count == 0)
            {
                Root = node;
                return;
            }

            var frame = _stack.Peek();
            switch (frame.Container)
            {
                case SequenceNode sequence:
                    sequence.Items.Add(node);
                    break;
                case MappingNode when frame.SkipValue:
                    frame.SkipValue = false;
                    break;
                case MappingNode when frame.ExpectKey:
                    AddKey(frame, node);
                    break;
                case MappingNode mapping:
                    mapping.Entries.Add((frame.Key!, node));
                    frame.Key = null;
                    break;
            }
        }

        private void AddKey(Frame frame, Node key)
        {
            if (key is ErrorNode)
            {
                frame.SkipValue = true;
            }
            else if (key is not ScalarNode scalar || scalar.Type == ScalarType.Null)
            {
                diagnostics.Add(new($"a key must be a plain name, not {Article(key.TypeName)}", key.Location));
                frame.SkipValue = true;
            }
            else if (scalar.Value != MergeKey && !frame.Keys.TryAdd(scalar.Value, scalar))
            {
                diagnostics.Add(new($"duplicate key '{scalar.Value}' (first defined at {frame.Keys[scalar.Value].Location})", scalar.Location));
                frame.SkipValue = true;
            }
            else
            {
                frame.Key = scalar;
            }
        }

        /// <summary>
        /// YAML's merge key: <c>&lt;&lt;: *defaults</c> (or a list of aliases) copies the entries the mapping does not
        /// set itself, so tasks can share settings through an anchor. (The copies were counted as the alias was.)
        /// </summary>
        private void ApplyMergeKeys(MappingNode mapping)
        {
            var index = mapping.Entries.FindIndex(e => e.Key.Value == MergeKey);
            if (index < 0)
            {
                return;
            }

            var own = mapping.Entries.Where(e => e.Key.Value != MergeKey).Select(e => e.Key.Value).ToHashSet(StringComparer.Ordinal);
            while (index >= 0)
            {
                var (key, value) = mapping.Entries[index];
                mapping.Entries.RemoveAt(index);
                var sources = value switch
                {
                    MappingNode m => [m],
                    SequenceNode s when s.Items.All(i => i is MappingNode) => s.Items.Cast<MappingNode>().ToList(),
                    _ => null,
                };
                if (sources is null)
                {
                    diagnostics.Add(new("'<<' (merge key) needs a mapping or a list of mappings, usually an alias such as *defaults", key.Location));
                }
                else
                {
                    var inserted = 0;
                    foreach (var entry in sources.SelectMany(s => s.Entries))
                    {
                        if (own.Add(entry.Key.Value))
                        {
                            mapping.Entries.Insert(index + inserted++, entry);
                        }
                    }
                }

                index = mapping.Entries.FindIndex(index, e => e.Key.Value == MergeKey);
            }
        }
    }

    internal static string Article(string typeName) => typeName is "integer" or "array" or "object" ? $"an {typeName}" : $"a {typeName}";
}
