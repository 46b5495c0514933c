using System.Text;

namespace Fanout;

/// <summary>
/// Draws a compiled plan as Mermaid (<c>flowchart LR</c>) or Graphviz DOT: one node per task labelled with its id and
/// kind (fan-outs as <c>id[*]</c> on a stacked shape, optional tasks dashed), one edge per dependency from the
/// dependency to its dependent (<c>after: settled</c> edges dashed), edges inferred from footprints dashed, grey and
/// labelled with the conflict (<c>w→r out.txt</c>), and the critical path highlighted.
/// </summary>
public static class GraphExport
{
    private const string CriticalColor = "#d32f2f";
    private const string InferredColor = "#888888";

    private static readonly HashSet<string> MermaidKeywords = new(
        ["end", "graph", "flowchart", "subgraph", "direction", "style", "class", "classDef", "linkStyle", "click", "call", "href", "default"],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Mermaid flowchart of <paramref name="graph"/>. Node ids are sanitized to letters, digits and <c>_</c> (so
    /// <c>fetch-page</c> becomes <c>fetch_page</c>, made unique if needed); labels keep the real id.
    /// </summary>
    /// <param name="graph">The plan.</param>
    /// <param name="critical">Task ids to highlight, e.g. a report's critical path or <see cref="EstimatedCriticalPath"/>;
    /// fan-out item ids such as <c>images[2]</c> highlight their task.</param>
    public static string ToMermaid(TaskGraph graph, IReadOnlySet<string>? critical = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var onPath = CriticalNodes(graph, critical);
        var ids = MermaidIds(graph);
        var text = new StringBuilder("flowchart LR\n");
        for (var v = 0; v < graph.Count; v++)
        {
            var task = graph[v];
            var (open, close) = task.Foreach is null ? ("[\"", "\"]") : ("[[\"", "\"]]");
            text.Append("    ").Append(ids[v]).Append(open).Append(MermaidText(Label(task, "<br/>"))).Append(close).Append('\n');
        }

        var criticalEdges = new List<int>();
        var edge = 0;
        foreach (var (from, to) in Edges(graph))
        {
            var arrow = graph[to].After == DependencyTrigger.Settled ? "-.->" : "-->";
            text.Append("    ").Append(ids[from]).Append(' ').Append(arrow).Append(' ').Append(ids[to]).Append('\n');
            if (onPath[from] && onPath[to])
            {
                criticalEdges.Add(edge);
            }

            edge++;
        }

        var inferredEdges = new List<int>();
        foreach (var inferred in graph.InferredEdges)
        {
            text.Append("    ").Append(ids[inferred.From]).Append(" -. \"").Append(MermaidText(ShortReason(inferred))).Append("\" .-> ").Append(ids[inferred.To]).Append('\n');
            inferredEdges.Add(edge++);
        }

        if (inferredEdges.Count > 0)
        {
            text.Append("    linkStyle ").AppendJoin(',', inferredEdges).Append(" stroke:").Append(InferredColor).Append('\n');
        }

        text.Append("    classDef fanout stroke-width:3px\n")
            .Append("    classDef optional stroke-dasharray:5 3\n")
            .Append("    classDef critical stroke:").Append(CriticalColor).Append(",stroke-width:3px,font-weight:bold\n");
        AppendClass(text, "fanout", ids, v => graph[v].Foreach is not null);
        AppendClass(text, "optional", ids, v => graph[v].Optional);
        AppendClass(text, "critical", ids, v => onPath[v]);
        if (criticalEdges.Count > 0)
        {
            text.Append("    linkStyle ").AppendJoin(',', criticalEdges).Append(" stroke:").Append(CriticalColor).Append(",stroke-width:3px\n");
        }

        return text.ToString();
    }

    /// <summary>Graphviz DOT digraph of <paramref name="graph"/>; every id is quoted, so <c>-</c> and the like are safe.</summary>
    /// <param name="graph">The plan.</param>
    /// <param name="critical">Task ids to highlight (see <see cref="ToMermaid"/>).</param>
    public static string ToDot(TaskGraph graph, IReadOnlySet<string>? critical = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var onPath = CriticalNodes(graph, critical);
        var text = new StringBuilder("digraph ").Append(DotQuote(graph.Plan.Name)).Append(" {\n")
            .Append("    rankdir=LR;\n")
            .Append("    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n")
            .Append("    edge [fontname=\"Helvetica\"];\n");
        for (var v = 0; v < graph.Count; v++)
        {
            var task = graph[v];
            var attributes = new List<string> { $"label={DotQuote(Label(task, "\n"))}" };
            if (task.Foreach is not null)
            {
                attributes.Add("shape=box3d");
            }

            if (task.Optional)
            {
                attributes.Add("style=\"rounded,dashed\"");
            }

            if (onPath[v])
            {
                attributes.Add($"color=\"{CriticalColor}\", penwidth=2.5, fontcolor=\"{CriticalColor}\"");
            }

            text.Append("    ").Append(DotQuote(task.Id)).Append(" [").AppendJoin(", ", attributes).Append("];\n");
        }

        foreach (var (from, to) in Edges(graph))
        {
            var attributes = new List<string>();
            if (graph[to].After == DependencyTrigger.Settled)
            {
                attributes.Add("style=dashed");
            }

            if (onPath[from] && onPath[to])
            {
                attributes.Add($"color=\"{CriticalColor}\", penwidth=2.5");
            }

            text.Append("    ").Append(DotQuote(graph[from].Id)).Append(" -> ").Append(DotQuote(graph[to].Id));
            text.Append(attributes.Count > 0 ? $" [{string.Join(", ", attributes)}];\n" : ";\n");
        }

        foreach (var inferred in graph.InferredEdges)
        {
            text.Append("    ").Append(DotQuote(graph[inferred.From].Id)).Append(" -> ").Append(DotQuote(graph[inferred.To].Id))
                .Append(" [style=dashed, color=\"").Append(InferredColor).Append("\", fontcolor=\"").Append(InferredColor)
                .Append("\", label=").Append(DotQuote(ShortReason(inferred))).Append("];\n");
        }

        return text.Append("}\n").ToString();
    }

    /// <summary>An inferred edge's label: the conflict's initials and the resource the later task touches (<c>w→r out.txt</c>).</summary>
    private static string ShortReason(InferredEdge edge)
    {
        var kind = edge.Conflict.Kind switch
        {
            Footprints.ConflictKind.ReadAfterWrite => "w→r",
            Footprints.ConflictKind.WriteAfterRead => "r→w",
            _ => "w→w",
        };
        return $"{kind} {edge.Conflict.Later}";
    }

    /// <summary>
    /// The critical path predicted before running: from the root with the highest upward rank, repeatedly to the
    /// successor with the highest rank (ties go to the earlier task in the file). Ranks come from
    /// <see cref="TaskGraph.UpwardRanks"/> with <paramref name="estimate"/>, by default <see cref="RunOptions.DefaultEstimate"/>.
    /// </summary>
    /// <param name="graph">The plan.</param>
    /// <param name="estimate">Duration of one task; a fan-out counts as one task here.</param>
    /// <returns>Task ids from the first task to the last; empty for an empty plan.</returns>
    public static IReadOnlyList<string> EstimatedCriticalPath(TaskGraph graph, Func<TaskDefinition, TimeSpan>? estimate = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var rank = graph.UpwardRanks(estimate ?? RunOptions.DefaultEstimate);
        var at = -1;
        for (var v = 0; v < graph.Count; v++)
        {
            if (graph.Predecessors(v).IsEmpty && (at < 0 || rank[v] > rank[at]))
            {
                at = v;
            }
        }

        var path = new List<string>();
        while (at >= 0)
        {
            path.Add(graph[at].Id);
            var next = -1;
            // Successors are in file order, so a strict comparison keeps the earlier task on ties.
            foreach (var s in graph.Successors(at))
            {
                if (next < 0 || rank[s] > rank[next])
                {
                    next = s;
                }
            }

            at = next;
        }

        return path;
    }

    /// <summary>Edges from dependency to dependent, in file order of the dependents and their <c>needs</c>.</summary>
    private static IEnumerable<(int From, int To)> Edges(TaskGraph graph)
    {
        for (var v = 0; v < graph.Count; v++)
        {
            foreach (var need in graph[v].Needs)
            {
                yield return (graph.IndexOf(need), v);
            }
        }
    }

    private static bool[] CriticalNodes(TaskGraph graph, IReadOnlySet<string>? critical)
    {
        var onPath = new bool[graph.Count];
        foreach (var id in critical ?? Enumerable.Empty<string>())
        {
            // A fan-out item (images[2]) stands for its task (images).
            var bracket = id.IndexOf('[', StringComparison.Ordinal);
            var node = graph.IndexOf(bracket > 0 ? id[..bracket] : id);
            if (node >= 0)
            {
                onPath[node] = true;
            }
        }

        return onPath;
    }

    private static string Label(TaskDefinition task, string lineBreak)
    {
        var label = task.Foreach is null ? task.Id : task.Id + "[*]";
        var notes = task.Optional ? $"{task.Kind} · optional" : task.Kind;
        return label + lineBreak + notes;
    }

    /// <summary>Mermaid-safe node ids: letters, digits and '_' only, never a keyword, unique.</summary>
    private static string[] MermaidIds(TaskGraph graph)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        var ids = new string[graph.Count];
        for (var v = 0; v < graph.Count; v++)
        {
            var chars = graph[v].Id.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_').ToArray();
            var id = new string(chars);
            // A node called "end" closes the flowchart and other keywords start statements. (Ids starting with o/x
            // are safe because arrows are written with spaces around them.)
            if (id.Length == 0 || MermaidKeywords.Contains(id))
            {
                id = "t_" + id;
            }

            var unique = id;
            for (var n = 2; !used.Add(unique); n++)
            {
                unique = $"{id}_{n}";
            }

            ids[v] = unique;
        }

        return ids;
    }

    private static void AppendClass(StringBuilder text, string name, string[] ids, Func<int, bool> member)
    {
        var members = Enumerable.Range(0, ids.Length).Where(member).Select(v => ids[v]).ToList();
        if (members.Count > 0)
        {
            text.Append("    class ").AppendJoin(',', members).Append(' ').Append(name).Append('\n');
        }
    }

    /// <summary>Text inside a Mermaid quoted label: the quote itself must be an entity.</summary>
    private static string MermaidText(string text) => text.Replace("\"", "#quot;", StringComparison.Ordinal);

    private static string DotQuote(string text) =>
        "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
}
