using System.Text.Json;
using System.Text.RegularExpressions;
using Fanout.Tests.Support;
using Exporter = Fanout.GraphExport;

namespace Fanout.Tests.GraphExport;

public class GraphExportTests
{
    // fetch-page → parse ─────────┐
    //            → images[*] ┄┄┄┄┄┴→ report (after: settled)     lint (optional, alone)     end → a-b, a_b
    private static readonly TaskGraph Graph = TaskGraph.Compile(new PlanBuilder("site-build")
        .Add(Task("fetch-page", 2))
        .Add(Task("parse", 1, "fetch-page"))
        .Add(Task("images", 5, "fetch-page") with { Foreach = new ForeachSpec { Items = JsonSerializer.SerializeToElement(new[] { 1, 2, 3 }) } })
        .Add(Task("report", 1, "parse", "images") with { After = DependencyTrigger.Settled })
        .Add(Task("lint", 1) with { Optional = true })
        .Add(Task("end", 1))
        .Add(Task("a-b", 1, "end"))
        .Add(Task("a_b", 1, "end"))
        .Build());

    private static readonly (string From, string To)[] Edges =
        [("fetch-page", "parse"), ("fetch-page", "images"), ("parse", "report"), ("images", "report"), ("end", "a-b"), ("end", "a_b")];

    private static readonly HashSet<string> Critical = ["fetch-page", "images[2]", "report"];

    [Fact]
    public void Mermaid_declares_every_task_once_with_its_id_and_kind_in_the_label()
    {
        var mermaid = Exporter.ToMermaid(Graph);
        Assert.StartsWith("flowchart LR\n", mermaid, StringComparison.Ordinal);
        foreach (var task in Graph.Plan.Tasks)
        {
            var label = task.Foreach is null ? task.Id : task.Id + "[*]";
            Assert.Single(Regex.Matches(mermaid, $@"^    \w+\[+""{Regex.Escape(label)}<br/>delegate", RegexOptions.Multiline));
        }
    }

    [Fact]
    public void Mermaid_node_ids_are_sanitized_unique_and_not_keywords()
    {
        var ids = MermaidIds(Exporter.ToMermaid(Graph));
        Assert.Equal(Graph.Count, ids.Count);
        Assert.All(ids.Values, id => Assert.Matches("^[A-Za-z_][A-Za-z0-9_]*$", id));
        Assert.Equal(ids.Count, ids.Values.Distinct().Count());
        Assert.Equal("fetch_page", ids["fetch-page"]);
        Assert.NotEqual("end", ids["end"], StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public void Mermaid_draws_every_dependency_edge_and_dashes_settled_ones()
    {
        var mermaid = Exporter.ToMermaid(Graph);
        var ids = MermaidIds(mermaid);
        foreach (var (from, to) in Edges)
        {
            var arrow = to == "report" ? "-.->" : "-->";
            Assert.Single(Regex.Matches(mermaid, $"^    {ids[from]} {Regex.Escape(arrow)} {ids[to]}$", RegexOptions.Multiline));
        }

        Assert.Equal(Edges.Length, Regex.Matches(mermaid, "^    \\w+ -(?:-|\\.-)> \\w+$", RegexOptions.Multiline).Count);
    }

    [Fact]
    public void Mermaid_marks_fanout_and_optional_tasks()
    {
        var mermaid = Exporter.ToMermaid(Graph);
        Assert.Contains("    images[[\"images[*]<br/>delegate\"]]", mermaid, StringComparison.Ordinal);
        Assert.Contains("    class images fanout\n", mermaid, StringComparison.Ordinal);
        Assert.Contains("    class lint optional\n", mermaid, StringComparison.Ordinal);
        Assert.Contains("lint<br/>delegate · optional", mermaid, StringComparison.Ordinal);
    }

    [Fact]
    public void Mermaid_styles_critical_nodes_and_the_edges_between_them()
    {
        var mermaid = Exporter.ToMermaid(Graph, Critical);
        Assert.Contains("classDef critical ", mermaid, StringComparison.Ordinal);
        Assert.Contains("    class fetch_page,images,report critical\n", mermaid, StringComparison.Ordinal);
        // Edges are numbered in the order written: fetch-page→parse (0), fetch-page→images (1), parse→report (2), images→report (3).
        Assert.Matches(@"\n    linkStyle 1,3 stroke:#d32f2f", mermaid);
    }

    [Fact]
    public void Mermaid_without_critical_set_has_no_critical_styling()
    {
        var mermaid = Exporter.ToMermaid(Graph);
        Assert.DoesNotContain(" critical\n", mermaid, StringComparison.Ordinal);
        Assert.DoesNotContain("linkStyle", mermaid, StringComparison.Ordinal);
    }

    [Fact]
    public void Dot_quotes_ids_so_dashes_are_valid_and_draws_every_edge()
    {
        var dot = Exporter.ToDot(Graph);
        Assert.StartsWith("digraph \"site-build\" {\n", dot, StringComparison.Ordinal);
        Assert.EndsWith("}\n", dot, StringComparison.Ordinal);
        foreach (var task in Graph.Plan.Tasks)
        {
            Assert.Single(Regex.Matches(dot, $"^    \"{Regex.Escape(task.Id)}\" \\[label=", RegexOptions.Multiline));
        }

        foreach (var (from, to) in Edges)
        {
            var expected = $"    \"{from}\" -> \"{to}\"{(to == "report" ? " [style=dashed]" : "")};\n";
            Assert.Contains(expected, dot, StringComparison.Ordinal);
        }

        Assert.Equal(Edges.Length, Regex.Matches(dot, " -> ").Count);
    }

    [Fact]
    public void Dot_marks_fanout_optional_and_critical()
    {
        var dot = Exporter.ToDot(Graph, Critical);
        Assert.Contains("\"images\" [label=\"images[*]\\ndelegate\", shape=box3d, color=\"#d32f2f\", penwidth=2.5", dot, StringComparison.Ordinal);
        Assert.Contains("\"lint\" [label=\"lint\\ndelegate · optional\", style=\"rounded,dashed\"];", dot, StringComparison.Ordinal);
        Assert.Contains("\"images\" -> \"report\" [style=dashed, color=\"#d32f2f\", penwidth=2.5];", dot, StringComparison.Ordinal);
        Assert.Contains("\"fetch-page\" -> \"parse\";", dot, StringComparison.Ordinal);
        Assert.Equal(3, Regex.Matches(dot, "penwidth=2.5, fontcolor").Count);
    }

    [Fact]
    public void Dot_escapes_quotes_in_the_plan_name()
    {
        var graph = TaskGraph.Compile(new PlanBuilder("say \"hi\"\\").Add(Task("a", 1)).Build());
        Assert.StartsWith("digraph \"say \\\"hi\\\"\\\\\" {", Exporter.ToDot(graph), StringComparison.Ordinal);
    }

    [Fact]
    public void Estimated_critical_path_follows_the_highest_upward_rank()
    {
        // Ranks with task estimates: fetch-page 2+5+1 = 8 beats lint 1 and end 2, then images (6) beats parse (2).
        Assert.Equal(["fetch-page", "images", "report"], Exporter.EstimatedCriticalPath(Graph));
    }

    [Fact]
    public void Estimated_critical_path_uses_the_given_estimate()
    {
        TimeSpan Estimate(TaskDefinition t) => TimeSpan.FromSeconds(t.Id switch { "parse" => 9, "a_b" => 20, _ => 1 });
        Assert.Equal(["end", "a_b"], Exporter.EstimatedCriticalPath(Graph, Estimate));
        Assert.Equal(["fetch-page", "parse", "report"],
            Exporter.EstimatedCriticalPath(TaskGraph.Compile(Graph.Plan with { Tasks = Graph.Plan.Tasks[..5] }), Estimate));
    }

    [Fact]
    public void Estimated_critical_path_of_an_empty_plan_is_empty()
    {
        Assert.Empty(Exporter.EstimatedCriticalPath(TaskGraph.Compile(new PlanBuilder("empty").Build())));
    }

    [Fact]
    public void Report_critical_path_of_a_real_run_highlights_its_tasks()
    {
        var report = Reporting.SampleRun.Report;
        var mermaid = Exporter.ToMermaid(Reporting.SampleRun.Graph(), report.CriticalPath.ToHashSet());
        Assert.Contains("    class plan,pages,summary critical\n", mermaid, StringComparison.Ordinal);
    }

    private static TaskDefinition Task(string id, double seconds, params string[] needs) => new()
    {
        Id = id,
        Body = new DelegateBody(Sim.Work(1)),
        Needs = [.. needs],
        Estimate = TimeSpan.FromSeconds(seconds),
    };

    /// <summary>Task id → mermaid node id, read back from the node declarations.</summary>
    private static Dictionary<string, string> MermaidIds(string mermaid) =>
        Regex.Matches(mermaid, @"^    (\w+)\[+""([^""<]+?)(?:\[\*\])?<br/>", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[2].Value, m => m.Groups[1].Value);
}
