using Fanout.Tests.Cli;
using Fanout.Tests.Plans;
using Fanout.Tests.Support;

namespace Fanout.Tests.Footprints;

/// <summary>The graph compiler orders conflicting tasks in declaration order and leaves the rest parallel.</summary>
public sealed class InferredEdgeTests : IDisposable
{
    private const string Pipeline = """
        name: files
        tasks:
          - { id: fetch, argv: [echo, a], writes: data/raw.json }
          - { id: count, argv: [echo, b], reads: ./data/raw.json }
          - { id: lint, argv: [echo, c], reads: "src/**/*.cs" }
          - { id: report, argv: [echo, d], reads: data, writes: out/report.txt }
        """;

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static TaskGraph Compile(string yaml) => TaskGraph.Compile(Load.Yaml(yaml, "/plans"));

    private static string[] Edges(TaskGraph graph) =>
        [.. graph.InferredEdges.Select(e => $"{graph[e.From].Id}->{graph[e.To].Id}")];

    [Fact]
    public void A_read_after_a_write_of_the_same_file_waits_for_the_write()
    {
        var graph = Compile(Pipeline);

        Assert.Equal(["fetch->count", "fetch->report"], Edges(graph));
        Assert.Equal("read-after-write: 'count' reads data/raw.json, which 'fetch' writes", graph.InferredEdges[0].Reason);
    }

    [Fact]
    public void Tasks_whose_footprints_do_not_meet_stay_parallel()
    {
        var graph = Compile(Pipeline);

        Assert.True(graph.Predecessors(graph.IndexOf("lint")).IsEmpty);
    }

    [Fact]
    public void An_edge_already_implied_by_others_is_not_added()
    {
        var graph = Compile("""
            name: writers
            tasks:
              - { id: a, argv: [echo], writes: log.txt }
              - { id: b, argv: [echo], writes: log.txt }
              - { id: c, argv: [echo], writes: log.txt }
            """);

        Assert.Equal(["a->b", "b->c"], Edges(graph));
    }

    [Fact]
    public void Tasks_already_ordered_by_needs_get_no_inferred_edge()
    {
        var graph = Compile("""
            name: ordered
            tasks:
              - { id: a, argv: [echo], writes: x.txt }
              - { id: b, argv: [echo], reads: x.txt, needs: a }
            """);

        Assert.Empty(graph.InferredEdges);
    }

    [Fact]
    public void An_earlier_task_needing_a_later_conflicting_one_is_a_plan_error_naming_both()
    {
        var problem = Assert.Single(Assert.Throws<PlanException>(() => Compile("""
            name: backwards
            tasks:
              - { id: check, argv: [echo], reads: out.txt, needs: build }
              - { id: build, argv: [echo], writes: out.txt }
            """)).Diagnostics);

        Assert.Contains("task 'check' depends on 'build', which is declared after it", problem.Message);
        Assert.Contains("write-after-read: 'build' writes out.txt", problem.Message);
        Assert.Contains("declare 'build' first", problem.Message);
        Assert.Equal("3:55", problem.At());
    }

    [Fact]
    public void Footprint_entries_cannot_hold_templates()
    {
        var problem = Load.Problem("""
            name: templated
            inputs: { f: { type: string } }
            tasks:
              - { id: a, argv: [cat, "{{inputs.f}}"], reads: "{{inputs.f}}" }
            """);

        Assert.Contains("'reads' is read before the run and cannot hold templates", problem.Message);
    }

    [Fact]
    public void A_failed_earlier_task_does_not_skip_the_task_it_only_orders()
    {
        var plan = new PlanBuilder("order-only")
            .Add(Sim.Def("write", Sim.Fail(10, retryable: false)) with { Footprint = Fanout.Footprints.Footprint.Writing("a.txt") })
            .Add(Sim.Def("read", Sim.Work(10)) with { Footprint = Fanout.Footprints.Footprint.Reading("a.txt") })
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(TaskState.Failed, report.Row("write").Status);
        Assert.Equal(TaskState.Succeeded, report.Row("read").Status);
        Assert.Equal(10, report.StartMs("read"), 3);
    }

    [Fact]
    public void The_report_says_how_long_each_inferred_edge_held_its_task_back()
    {
        var plan = new PlanBuilder("held")
            .Add(Sim.Def("write", Sim.Work(40)) with { Footprint = Fanout.Footprints.Footprint.Writing("a.txt") })
            .Add(Sim.Def("prep", Sim.Work(10)))
            .Add(Sim.Def("read", Sim.Work(10), "prep") with { Footprint = Fanout.Footprints.Footprint.Reading("a.txt") })
            .Build();

        var (report, _) = Sim.Run(plan);

        var edge = Assert.Single(report.InferredEdges);
        Assert.Equal(("write", "read", 30.0), (edge.From, edge.To, edge.HeldMs));
    }

    [Fact]
    public void Mermaid_draws_inferred_edges_dashed_with_their_conflict()
    {
        var text = Fanout.GraphExport.ToMermaid(Compile(Pipeline));

        Assert.Contains("fetch -. \"w→r data/raw.json\" .-> count", text);
        Assert.DoesNotContain("fetch --> count", text);
    }

    [Fact]
    public void Dot_draws_inferred_edges_dashed_and_labelled()
    {
        var text = Fanout.GraphExport.ToDot(Compile(Pipeline));

        Assert.Contains("\"fetch\" -> \"count\" [style=dashed, color=\"#888888\", fontcolor=\"#888888\", label=\"w→r data/raw.json\"];", text);
    }

    [Fact]
    public async Task Validate_explain_prints_why_each_edge_was_added()
    {
        var plan = _cli.Plan(Pipeline);

        var result = await _cli.RunAsync("validate", plan, "--explain");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("2 inferred edges from the footprints of 4 tasks", result.Out);
        Assert.Contains("fetch → count: read-after-write: 'count' reads data/raw.json, which 'fetch' writes (", result.Out);
        Assert.Contains("fetch → report: read-after-write: 'report' reads data, which overlaps data/raw.json that 'fetch' writes", result.Out);
    }
}
