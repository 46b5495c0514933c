using Fanout.Tests.Support;

namespace Fanout.Tests.Scheduling;

/// <summary>Failure isolation: skipped dependents, optional tasks, fail-fast.</summary>
public class FailureTests
{
    [Fact]
    public void Dependents_of_a_failed_task_are_skipped_transitively_with_the_reason()
    {
        var plan = new PlanBuilder("isolation")
            .Configure(p => p with { Defaults = p.Defaults with { Retry = RetryPolicy.None } })
            .Task("a", Sim.Fail(100, "exploded"))
            .Task("b", Sim.Work(10), "a")
            .Task("c", Sim.Work(10), "b")
            .Task("other", Sim.Work(500))
            .Task("other2", Sim.Work(10), "other")
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(RunStatus.Failed, report.Status);
        Assert.Equal(TaskState.Failed, report.Row("a").Status);
        Assert.Equal("exploded", report.Row("a").Error);
        Assert.Equal(TaskState.Skipped, report.Row("b").Status);
        Assert.Equal("dependency 'a' failed", report.Row("b").Error);
        Assert.Equal(TaskState.Skipped, report.Row("c").Status);
        Assert.Equal("dependency 'b' skipped", report.Row("c").Error);
        Assert.Equal(0, report.Row("c").Attempts);
        Assert.Null(report.Row("c").StartedAt);
        Assert.Equal(TaskState.Succeeded, report.Row("other").Status);
        Assert.Equal(TaskState.Succeeded, report.Row("other2").Status);
        Assert.Equal(510, report.MakespanMs);
        Assert.Equal(1, report.Counts["failed"]);
        Assert.Equal(2, report.Counts["skipped"]);
        Assert.Equal(2, report.Counts["succeeded"]);
    }

    [Fact]
    public void Task_with_one_failed_dependency_among_several_is_skipped_naming_it()
    {
        var plan = new PlanBuilder("isolation")
            .Configure(p => p with { Defaults = p.Defaults with { Retry = RetryPolicy.None } })
            .Task("ok", Sim.Work(10))
            .Task("bad", Sim.Fail(20))
            .Task("join", Sim.Work(10), "ok", "bad")
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(TaskState.Skipped, report.Row("join").Status);
        Assert.Equal("dependency 'bad' failed", report.Row("join").Error);
    }

    [Fact]
    public void Optional_task_failure_does_not_skip_dependents_and_the_run_succeeds()
    {
        DependencyResult? seen = null;
        var plan = new PlanBuilder("optional")
            .Add(Sim.Def("extra", Sim.Fail(10, "nope")) with { Optional = true, Retry = RetryPolicy.None })
            .Add(Sim.Def("next", (ctx, _) =>
            {
                seen = ctx.Dependencies["extra"];
                return ValueTask.FromResult<object?>("ran");
            }, "extra"))
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(TaskState.Failed, report.Row("extra").Status);
        Assert.Equal(TaskState.Succeeded, report.Row("next").Status);
        Assert.Equal(10, report.StartMs("next"));
        Assert.Equal(TaskState.Failed, seen!.State);
        Assert.Equal("nope", seen.Error);
    }

    [Fact]
    public void Fail_fast_cancels_running_and_pending_tasks_and_starts_nothing_new()
    {
        var starts = new List<string>();
        Func<TaskContext, CancellationToken, ValueTask<object?>> Tracked(Func<TaskContext, CancellationToken, ValueTask<object?>> work) =>
            (ctx, ct) =>
            {
                starts.Add(ctx.InstanceId);
                return work(ctx, ct);
            };
        var plan = new PlanBuilder("fail-fast")
            .Configure(p => p with { OnFailure = FailurePolicy.FailFast, Defaults = p.Defaults with { Retry = RetryPolicy.None } })
            .Add(Sim.Def("bad", Tracked(Sim.Fail(10))) with { Estimate = TimeSpan.FromSeconds(10) })
            .Add(Sim.Def("long", Tracked(Sim.Work(1000))) with { Estimate = TimeSpan.FromSeconds(9) })
            .Add(Sim.Def("queued", Tracked(Sim.Work(10))) with { Estimate = TimeSpan.FromSeconds(1) })
            .Add(Sim.Def("after_long", Tracked(Sim.Work(10)), "long"))
            .Build();

        var (report, _) = Sim.Run(plan, concurrency: 2);

        Assert.Equal(RunStatus.Failed, report.Status);
        Assert.Equal(["bad", "long"], starts);
        Assert.Equal(TaskState.Failed, report.Row("bad").Status);
        Assert.Equal(TaskState.Cancelled, report.Row("long").Status);
        Assert.Equal([AttemptOutcome.Cancelled], report.Row("long").AttemptLog.Select(a => a.Outcome));
        Assert.Equal(TaskState.Cancelled, report.Row("queued").Status);
        Assert.Equal(0, report.Row("queued").Attempts);
        Assert.Equal(TaskState.Cancelled, report.Row("after_long").Status);
        Assert.All(report.Tasks.Where(t => t.Id != "bad"), t => Assert.Equal("cancelled: 'bad' failed and the plan fails fast", t.Error));
        Assert.Equal(10, report.MakespanMs);
    }

    [Fact]
    public void Fail_fast_cancels_a_task_waiting_for_its_retry()
    {
        var plan = new PlanBuilder("fail-fast")
            .Configure(p => p with { OnFailure = FailurePolicy.FailFast })
            .Add(Sim.Def("bad", Sim.Fail(50)) with { Retry = RetryPolicy.None })
            .Add(Sim.Def("flaky", Sim.Flaky(5, 10)) with { Retry = new RetryPolicy { MaxAttempts = 9, BaseDelay = TimeSpan.FromSeconds(1), Jitter = false } })
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(TaskState.Cancelled, report.Row("flaky").Status);
        Assert.Equal(1, report.Row("flaky").Attempts);
        Assert.Equal(50, report.MakespanMs);
    }

    [Fact]
    public void Optional_task_failure_does_not_trigger_fail_fast()
    {
        var plan = new PlanBuilder("fail-fast")
            .Configure(p => p with { OnFailure = FailurePolicy.FailFast, Defaults = p.Defaults with { Retry = RetryPolicy.None } })
            .Add(Sim.Def("extra", Sim.Fail(10)) with { Optional = true })
            .Task("main", Sim.Work(100))
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(TaskState.Succeeded, report.Row("main").Status);
    }

    [Fact]
    public void Run_option_overrides_the_plan_failure_policy()
    {
        var plan = new PlanBuilder("override")
            .Configure(p => p with { Defaults = p.Defaults with { Retry = RetryPolicy.None } })
            .Task("bad", Sim.Fail(10))
            .Task("other", Sim.Work(100))
            .Build();

        var (report, _) = Sim.Run(plan, configure: o => o with { OnFailure = FailurePolicy.FailFast });

        Assert.Equal(TaskState.Cancelled, report.Row("other").Status);
    }

    [Fact]
    public void Fail_fast_stops_the_run_as_soon_as_a_fan_out_exceeds_its_max_failures()
    {
        var plan = new PlanBuilder("fail-fast")
            .Configure(p => p with { OnFailure = FailurePolicy.FailFast, Defaults = p.Defaults with { Retry = RetryPolicy.None } })
            .Add(Sim.Def("g", (ctx, ct) => ctx.ItemIndex == 0 ? Sim.Fail(10)(ctx, ct) : Sim.Work(1000)(ctx, ct)) with
            {
                Foreach = new ForeachSpec { Items = System.Text.Json.JsonSerializer.SerializeToElement(new[] { 0, 1, 2 }) },
            })
            .Task("other", Sim.Work(1000))
            .Build();

        var (report, _) = Sim.Run(plan, concurrency: 3);

        Assert.Equal(RunStatus.Failed, report.Status);
        Assert.Equal(TaskState.Failed, report.Row("g").Status);
        Assert.Equal("1 of 3 items did not succeed (max_failures: 0)", report.Row("g").Error);
        Assert.Equal(TaskState.Failed, report.Row("g[0]").Status);
        Assert.Equal(TaskState.Cancelled, report.Row("g[1]").Status);
        Assert.Equal(TaskState.Cancelled, report.Row("g[2]").Status);
        Assert.Equal(TaskState.Cancelled, report.Row("other").Status);
        Assert.Equal(10, report.MakespanMs);
    }
}
