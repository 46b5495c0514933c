using Fanout.Tests.Support;

namespace Fanout.Tests.Graph;

/// <summary>Structural checks of a plan: ids, dependencies, cycles, pools.</summary>
public class ValidationTests
{
    private static List<string> Problems(PlanBuilder builder) => TaskGraph.Validate(builder.Build()).Select(d => d.Message).ToList();

    [Fact]
    public void Duplicate_id_is_reported_with_where_it_was_first_defined()
    {
        var first = Sim.Def("a", Sim.Work(1)) with { Locations = System.Collections.Immutable.ImmutableDictionary<string, SourceLocation>.Empty.Add("id", new("plan.yaml", 3, 7)) };
        var second = Sim.Def("a", Sim.Work(1)) with { Locations = System.Collections.Immutable.ImmutableDictionary<string, SourceLocation>.Empty.Add("id", new("plan.yaml", 9, 7)) };

        var diagnostics = TaskGraph.Validate(new PlanBuilder("p").Add(first).Add(second).Build());

        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("duplicate task id 'a' (first defined at plan.yaml:3:7)", diagnostic.Message);
        Assert.Equal("plan.yaml:9:7: error: duplicate task id 'a' (first defined at plan.yaml:3:7)", diagnostic.ToString());
    }

    [Fact]
    public void Cycle_is_reported_alongside_an_unknown_dependency()
    {
        var problems = Problems(new PlanBuilder("p")
            .Task("a", Sim.Work(1), "b")
            .Task("b", Sim.Work(1), "a", "ghost"));

        Assert.Equal(["task 'b' needs unknown task 'ghost'", "dependency cycle: a → b → a"], problems);
    }

    [Theory]
    [InlineData("resaerch", "research")]
    [InlineData("reserch", "research")]
    [InlineData("retyr", "retry")]
    public void Typos_within_a_third_of_the_name_get_a_suggestion(string typo, string meant)
    {
        Assert.Equal(meant, Names.Nearest(typo, ["research", "retry", "write"]));
    }

    [Theory]
    [InlineData("zz")]
    [InlineData("summary")]
    public void Unrelated_names_get_no_suggestion(string name)
    {
        Assert.Null(Names.Nearest(name, ["a", "research", "write"]));
    }

    [Theory]
    [InlineData("1abc")]
    [InlineData("has space")]
    [InlineData("dot.ted")]
    [InlineData("")]
    public void Invalid_id_is_reported(string id)
    {
        Assert.Equal([$"invalid task id '{id}': use letters, digits, '_' and '-', starting with a letter or '_'"],
            Problems(new PlanBuilder("p").Task(id, Sim.Work(1))));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("_private")]
    [InlineData("write-page_2")]
    public void Valid_ids_pass(string id)
    {
        Assert.Empty(Problems(new PlanBuilder("p").Task(id, Sim.Work(1))));
    }

    [Fact]
    public void Unknown_dependency_is_reported_with_a_suggestion()
    {
        Assert.Equal(["task 'write' needs unknown task 'reserch' (did you mean 'research'?)"],
            Problems(new PlanBuilder("p").Task("research", Sim.Work(1)).Task("write", Sim.Work(1), "reserch")));
    }

    [Fact]
    public void Unknown_dependency_far_from_any_name_has_no_suggestion()
    {
        Assert.Equal(["task 'write' needs unknown task 'zzzzzzzz'"],
            Problems(new PlanBuilder("p").Task("research", Sim.Work(1)).Task("write", Sim.Work(1), "zzzzzzzz")));
    }

    [Fact]
    public void Self_dependency_is_reported()
    {
        Assert.Equal(["task 'a' depends on itself"], Problems(new PlanBuilder("p").Task("a", Sim.Work(1), "a")));
    }

    [Fact]
    public void Cycle_is_reported_with_its_path_in_execution_order()
    {
        var builder = new PlanBuilder("p")
            .Task("start", Sim.Work(1))
            .Task("a", Sim.Work(1), "start", "c")
            .Task("b", Sim.Work(1), "a")
            .Task("c", Sim.Work(1), "b");

        Assert.Equal(["dependency cycle: a → b → c → a"], Problems(builder));
    }

    [Fact]
    public void Two_task_cycle_is_reported_once()
    {
        var builder = new PlanBuilder("p").Task("x", Sim.Work(1), "y").Task("y", Sim.Work(1), "x");

        Assert.Equal(["dependency cycle: x → y → x"], Problems(builder));
    }

    [Fact]
    public void Compile_throws_with_every_problem()
    {
        var plan = new PlanBuilder("p")
            .Task("a", Sim.Work(1), "nope")
            .Add(Sim.Def("b", Sim.Work(1)) with { Pool = "gpu" })
            .Build();

        var e = Assert.Throws<PlanException>(() => TaskGraph.Compile(plan));

        Assert.Equal(2, e.Diagnostics.Count);
    }

    [Fact]
    public void Undeclared_pool_is_reported_with_a_suggestion()
    {
        var builder = new PlanBuilder("p").Pool("gpus", 2).Add(Sim.Def("a", Sim.Work(1)) with { Pool = "gpu" });

        Assert.Equal(["task 'a' uses undeclared pool 'gpu' (did you mean 'gpus'?); declare it under 'pools:'"], Problems(builder));
    }

    [Fact]
    public void Pool_smaller_than_one_is_reported()
    {
        Assert.Equal(["pool 'gpu' must allow at least 1 task (got 0)"], Problems(new PlanBuilder("p").Pool("gpu", 0).Task("a", Sim.Work(1))));
    }

    [Fact]
    public void Compiled_graph_exposes_edges_and_a_topological_order()
    {
        var graph = TaskGraph.Compile(new PlanBuilder("p")
            .Task("d", Sim.Work(1), "b", "c")
            .Task("b", Sim.Work(1), "a")
            .Task("c", Sim.Work(1), "a")
            .Task("a", Sim.Work(1))
            .Build());

        Assert.Equal(["a", "b", "c", "d"], graph.TopologicalOrder().Select(v => graph[v].Id));
        Assert.Equal(["b", "c"], graph.Successors(graph.IndexOf("a")).ToArray().Select(v => graph[v].Id));
        Assert.Equal(["b", "c"], graph.Predecessors(graph.IndexOf("d")).ToArray().Select(v => graph[v].Id));
        Assert.Equal(-1, graph.IndexOf("zz"));
    }

    [Fact]
    public void Upward_rank_is_the_longest_remaining_estimated_path()
    {
        var graph = TaskGraph.Compile(new PlanBuilder("p")
            .Task("a", Sim.Work(1))
            .Task("b", Sim.Work(1), "a")
            .Task("c", Sim.Work(1), "a")
            .Task("d", Sim.Work(1), "b", "c")
            .Build());
        var estimate = new Dictionary<string, double> { ["a"] = 1, ["b"] = 5, ["c"] = 2, ["d"] = 10 };

        var rank = graph.UpwardRanks(t => TimeSpan.FromMilliseconds(estimate[t.Id]));

        Assert.Equal([16.0, 15, 12, 10], rank);
    }

    private static PlanBuilder FanOut(ForeachSpec spec) =>
        new PlanBuilder("p").Add(Sim.Def("fan", Sim.Work(1)) with { Foreach = spec });

    [Fact]
    public void Foreach_without_a_source_is_reported()
    {
        Assert.Equal(["task 'fan' foreach needs exactly one of a path (e.g. tasks.plan.output.items) or literal items"],
            Problems(FanOut(new ForeachSpec())));
    }

    [Fact]
    public void Foreach_with_both_a_path_and_items_is_reported()
    {
        var spec = new ForeachSpec { Path = "inputs.x", Items = System.Text.Json.JsonSerializer.SerializeToElement(new[] { 1 }) };

        Assert.Contains("task 'fan' foreach needs exactly one of a path (e.g. tasks.plan.output.items) or literal items",
            Problems(FanOut(spec).Configure(p => p with { Inputs = [new InputDefinition { Name = "x" }] })));
    }

    [Fact]
    public void Foreach_items_that_are_not_an_array_are_reported()
    {
        var spec = new ForeachSpec { Items = System.Text.Json.JsonSerializer.SerializeToElement("abc") };

        Assert.Equal(["task 'fan' foreach items must be an array, not string"], Problems(FanOut(spec)));
    }

    [Theory]
    [InlineData("tasks")]
    [InlineData("inputs")]
    [InlineData("index")]
    [InlineData("two words")]
    public void Foreach_as_name_that_would_hide_the_scope_is_reported(string name)
    {
        var spec = new ForeachSpec { Items = System.Text.Json.JsonSerializer.SerializeToElement(new[] { 1 }), As = name };

        Assert.Equal([$"task 'fan' foreach as: '{name}' is not usable; pick a name other than inputs, tasks and index"], Problems(FanOut(spec)));
    }

    [Fact]
    public void Negative_max_failures_is_reported()
    {
        var spec = new ForeachSpec { Items = System.Text.Json.JsonSerializer.SerializeToElement(new[] { 1 }), MaxFailures = -1 };

        Assert.Equal(["task 'fan' foreach max_failures must be 0 or more (got -1)"], Problems(FanOut(spec)));
    }

    [Fact]
    public void Timeouts_and_retry_settings_the_timers_cannot_honour_are_reported()
    {
        var builder = new PlanBuilder("p")
            .Configure(p => p with { Defaults = p.Defaults with { Timeout = TimeSpan.Zero } })
            .Add(Sim.Def("a", Sim.Work(1)) with { Timeout = TimeSpan.FromSeconds(-1) })
            .Add(Sim.Def("b", Sim.Work(1)) with { Retry = new RetryPolicy { MaxAttempts = 0, BaseDelay = TimeSpan.FromSeconds(-1) } });

        Assert.Equal(
            [
                "task 'a': timeout must be positive (got -00:00:01)",
                "task 'b': retry max_attempts must be at least 1 (got 0)",
                "task 'b': retry delays must not be negative",
                "defaults: timeout must be positive (got 00:00:00)",
            ],
            Problems(builder));
    }
}
