using System.Text.Json;
using Fanout.Tests.Support;

namespace Fanout.Tests.Scheduling;

/// <summary>Dynamic fan-out: one instance per array element, each with its own retries, status and report row.</summary>
public class ForeachTests
{
    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    private static readonly RetryPolicy NoJitter = new() { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(100), Jitter = false };

    /// <summary>Waits 100 ms per item, then returns the item's string upper-cased; items in <paramref name="failing"/> fail.</summary>
    private static Func<TaskContext, CancellationToken, ValueTask<object?>> Upper(params string[] failing) =>
        async (ctx, ct) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), ctx.Time, ct);
            var item = ctx.Item!.Value.GetString()!;
            return failing.Contains(item) ? throw new TaskFailedException($"cannot do {item}") : item.ToUpperInvariant();
        };

    private static TaskDefinition Fan(string id, ForeachSpec spec, Func<TaskContext, CancellationToken, ValueTask<object?>> run, params string[] needs) =>
        Sim.Def(id, run, needs) with { Foreach = spec, Retry = RetryPolicy.None };

    [Fact]
    public void Foreach_over_a_literal_array_runs_one_instance_per_item_in_parallel()
    {
        var plan = new PlanBuilder("fan")
            .Add(Fan("g", new ForeachSpec { Items = Json("""["a", "b", "c"]""") }, Upper()))
            .Build();

        var (report, events) = Sim.Run(plan);

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(["g", "g[0]", "g[1]", "g[2]"], report.Tasks.Select(t => t.Id));
        var group = report.Row("g");
        Assert.Equal(3, group.Items);
        Assert.Equal("""["A","B","C"]""", group.Output!.Value.GetRawText());
        Assert.All(report.Tasks.Skip(1), row =>
        {
            Assert.Equal("g", row.Parent);
            Assert.Equal(TaskState.Succeeded, row.Status);
            Assert.Equal(0, report.StartMs(row.Id));
        });
        Assert.Equal([0, 1, 2], report.Tasks.Skip(1).Select(r => r.Index!.Value));
        Assert.Equal("\"B\"", report.Row("g[1]").Output!.Value.GetRawText());
        Assert.Equal(3, events.OfType<FanoutExpanded>().Single().Count);
        Assert.Equal(100, report.MakespanMs);
    }

    [Fact]
    public void Foreach_over_an_upstream_output_path_expands_when_the_upstream_finishes()
    {
        var plan = new PlanBuilder("fan")
            .Task("plan", Sim.Work(50, new { pages = new[] { "x", "y" } }))
            .Add(Fan("write", new ForeachSpec { Path = "tasks.plan.output.pages" }, Upper(), "plan"))
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(["X", "Y"], report.Row("write").Output!.Value.EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(50, report.StartMs("write[0]"));
        Assert.Equal(50, report.StartMs("write[1]"));
        Assert.Equal(150, report.MakespanMs);
    }

    [Fact]
    public void Foreach_over_an_input_path_uses_the_run_inputs()
    {
        var plan = new PlanBuilder("fan")
            .Configure(p => p with { Inputs = [new InputDefinition { Name = "pages" }] })
            .Add(Fan("write", new ForeachSpec { Path = "inputs.pages" }, Upper()))
            .Build();

        var (report, _) = Sim.Run(plan, configure: o => o with { Inputs = Json("""{"pages": ["p", "q", "r", "s"]}""") });

        Assert.Equal(4, report.Row("write").Items);
        Assert.Equal("\"S\"", report.Row("write[3]").Output!.Value.GetRawText());
    }

    [Fact]
    public void Each_item_has_its_own_retries_and_report_row()
    {
        var plan = new PlanBuilder("fan")
            .Add(Sim.Def("g", Sim.Flaky(0, 10), []) with
            {
                Foreach = new ForeachSpec { Items = Json("[0, 1, 2]") },
                Retry = NoJitter,
                Body = new DelegateBody(async (ctx, ct) =>
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(10), ctx.Time, ct);
                    // Item n fails its first n attempts.
                    return ctx.Attempt <= ctx.Item!.Value.GetInt32() ? throw new TaskFailedException($"item {ctx.ItemIndex} attempt {ctx.Attempt}") : ctx.Attempt;
                }),
            })
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal([1, 2, 3], Enumerable.Range(0, 3).Select(i => report.Row($"g[{i}]").Attempts));
        Assert.Equal([AttemptOutcome.Failed, AttemptOutcome.Failed, AttemptOutcome.Succeeded], report.Row("g[2]").AttemptLog.Select(a => a.Outcome));
        Assert.Equal("item 2 attempt 2", report.Row("g[2]").AttemptLog[1].Error);
        Assert.Equal(3, report.Retries);
        Assert.Equal(6, report.Row("g").Attempts);
        Assert.Equal(TaskState.Succeeded, report.Row("g").Status);
        // g[2]: 0–10 fail, 110–120 fail, 320–330 succeed.
        Assert.Equal(330, report.EndMs("g"));
    }

    [Fact]
    public void Partial_failures_within_max_failures_succeed_and_downstream_sees_every_item_settled()
    {
        IReadOnlyDictionary<string, DependencyResult>? seen = null;
        var plan = new PlanBuilder("fan")
            .Add(Fan("g", new ForeachSpec { Items = Json("""["a", "b", "c", "d"]"""), MaxFailures = 2 }, Upper("b", "d")))
            .Add(Sim.Def("fan_in", (ctx, _) =>
            {
                seen = ctx.Dependencies;
                return ValueTask.FromResult<object?>(ctx.Render("{{tasks.g.items.1.status}}/{{tasks.g.items.1.error}}/{{tasks.g.items.2.output}}"));
            }, "g"))
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(TaskState.Succeeded, report.Row("g").Status);
        Assert.Equal(TaskState.Failed, report.Row("g[1]").Status);
        Assert.Equal(TaskState.Succeeded, report.Row("fan_in").Status);
        Assert.Equal("\"failed/cannot do b/C\"", report.Row("fan_in").Output!.Value.GetRawText());
        // Failures within the declared tolerance are accepted: the group succeeded, so the run did.
        Assert.Equal(RunStatus.Succeeded, report.Status);

        var items = seen!["g"].Items!.Value.EnumerateArray().ToList();
        Assert.Equal(["succeeded", "failed", "succeeded", "failed"], items.Select(i => i.GetProperty("status").GetString()));
        Assert.Equal(["A", null, "C", null], items.Select(i => i.GetProperty("output").ValueKind == JsonValueKind.Null ? null : i.GetProperty("output").GetString()));
        Assert.Equal([null, "cannot do b", null, "cannot do d"], items.Select(i => i.GetProperty("error").GetString()));
        Assert.Equal(["a", "b", "c", "d"], items.Select(i => i.GetProperty("item").GetString()));
        Assert.Equal("""["A",null,"C",null]""", seen["g"].Output!.Value.GetRawText());
    }

    [Fact]
    public void Failures_beyond_max_failures_fail_the_group_and_skip_its_dependents()
    {
        var plan = new PlanBuilder("fan")
            .Add(Fan("g", new ForeachSpec { Items = Json("""["a", "b", "c"]"""), MaxFailures = 1 }, Upper("a", "c")))
            .Task("after", Sim.Work(10), "g")
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(RunStatus.Failed, report.Status);
        Assert.Equal(TaskState.Failed, report.Row("g").Status);
        Assert.Equal("2 of 3 items did not succeed (max_failures: 1)", report.Row("g").Error);
        Assert.Equal(TaskState.Succeeded, report.Row("g[1]").Status);
        Assert.Equal(TaskState.Skipped, report.Row("after").Status);
        Assert.Equal("dependency 'g' failed", report.Row("after").Error);
    }

    [Fact]
    public void Empty_array_succeeds_at_once_with_an_empty_output()
    {
        JsonElement? seen = null;
        var plan = new PlanBuilder("fan")
            .Task("plan", Sim.Work(20, new { pages = Array.Empty<string>() }))
            .Add(Fan("g", new ForeachSpec { Path = "tasks.plan.output.pages" }, Upper(), "plan"))
            .Add(Sim.Def("after", (ctx, _) =>
            {
                seen = ctx.Dependencies["g"].Output;
                return ValueTask.FromResult<object?>(null);
            }, "g"))
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(TaskState.Succeeded, report.Row("g").Status);
        Assert.Equal(0, report.Row("g").Items);
        Assert.Equal("[]", report.Row("g").Output!.Value.GetRawText());
        Assert.Equal("[]", seen!.Value.GetRawText());
        Assert.Equal(20, report.StartMs("after"));
        Assert.Equal(["plan", "g", "after"], report.Tasks.Select(t => t.Id));
    }

    [Fact]
    public void As_name_is_usable_in_templates_of_the_fanned_out_task()
    {
        var plan = new PlanBuilder("fan")
            .Task("plan", Sim.Work(10, new { pages = new[] { new { title = "Home" }, new { title = "About" } } }))
            .Add(new TaskDefinition
            {
                Id = "render",
                Needs = ["plan"],
                Foreach = new ForeachSpec { Path = "tasks.plan.output.pages", As = "page" },
                Body = new MergeBody { Value = Json("""{"heading": "{{index}}: {{page.title}}", "same": "{{item.title}}", "raw": "{{page}}"}""") },
            })
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(RunStatus.Succeeded, report.Status);
        var second = report.Row("render[1]").Output!.Value;
        Assert.Equal("1: About", second.GetProperty("heading").GetString());
        Assert.Equal("About", second.GetProperty("same").GetString());
        Assert.Equal("About", second.GetProperty("raw").GetProperty("title").GetString());
    }

    [Fact]
    public void Foreach_path_that_is_not_an_array_fails_the_task_with_a_clear_message()
    {
        var plan = new PlanBuilder("fan")
            .Task("plan", Sim.Work(10, new { pages = new { title = "not a list" } }))
            .Add(Fan("g", new ForeachSpec { Path = "tasks.plan.output.pages" }, Upper(), "plan"))
            .Task("after", Sim.Work(10), "g")
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(TaskState.Failed, report.Row("g").Status);
        Assert.Equal("foreach: 'tasks.plan.output.pages' is object, not an array", report.Row("g").Error);
        Assert.Equal(TaskState.Skipped, report.Row("after").Status);
        Assert.Equal(RunStatus.Failed, report.Status);
    }

    [Fact]
    public void Foreach_path_that_does_not_resolve_fails_naming_what_resolved()
    {
        var plan = new PlanBuilder("fan")
            .Task("plan", Sim.Work(10, new { other = 1 }))
            .Add(Fan("g", new ForeachSpec { Path = "tasks.plan.output.pages" }, Upper(), "plan"))
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(TaskState.Failed, report.Row("g").Status);
        Assert.Equal("foreach: 'tasks.plan.output.pages' is undefined (resolved as far as 'tasks.plan.output')", report.Row("g").Error);
    }

    [Fact]
    public void Fan_out_items_share_the_global_concurrency_limit_by_rank()
    {
        var plan = new PlanBuilder("fan")
            .Add(Fan("g", new ForeachSpec { Items = Json("""["a", "b", "c", "d", "e"]""") }, Upper()))
            .Build();

        var (report, events) = Sim.Run(plan, concurrency: 2);

        Assert.Equal(2, events.PeakRunning());
        Assert.Equal([0.0, 0, 100, 100, 200], Enumerable.Range(0, 5).Select(i => report.StartMs($"g[{i}]")));
        Assert.Equal(300, report.MakespanMs);
    }
}
