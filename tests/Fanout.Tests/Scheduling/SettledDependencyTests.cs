using System.Text.Json;
using Fanout.Tests.Support;

namespace Fanout.Tests.Scheduling;

/// <summary>Tasks that run once their dependencies settle, whatever the outcome.</summary>
public class SettledDependencyTests
{
    private static PlanBuilder FailingUpstream() => new PlanBuilder("settled")
        .Configure(p => p with { Defaults = p.Defaults with { Retry = RetryPolicy.None } })
        .Task("good", Sim.Work(10, new { n = 1 }))
        .Task("bad", Sim.Fail(30, "provider said no"))
        .Task("downstream", Sim.Work(10), "bad");

    [Fact]
    public void Settled_task_runs_after_a_failed_dependency_and_sees_its_status_and_error()
    {
        IReadOnlyDictionary<string, DependencyResult>? seen = null;
        var plan = FailingUpstream()
            .Add(Sim.Def("report", (ctx, _) =>
            {
                seen = ctx.Dependencies;
                return ValueTask.FromResult<object?>("summary");
            }, "good", "bad") with { After = DependencyTrigger.Settled })
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(TaskState.Succeeded, report.Row("report").Status);
        Assert.Equal(30, report.StartMs("report"));
        Assert.Equal(TaskState.Failed, seen!["bad"].State);
        Assert.Equal("provider said no", seen["bad"].Error);
        Assert.Null(seen["bad"].Output);
        Assert.Equal(TaskState.Succeeded, seen["good"].State);
        Assert.Equal(1, seen["good"].Output!.Value.GetProperty("n").GetInt32());
        Assert.Equal(RunStatus.Failed, report.Status);
    }

    [Fact]
    public void Settled_task_sees_a_skipped_dependency_as_skipped()
    {
        IReadOnlyDictionary<string, DependencyResult>? seen = null;
        var plan = FailingUpstream()
            .Add(Sim.Def("report", (ctx, _) =>
            {
                seen = ctx.Dependencies;
                return ValueTask.FromResult<object?>(null);
            }, "downstream") with { After = DependencyTrigger.Settled })
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(TaskState.Skipped, report.Row("downstream").Status);
        Assert.Equal(TaskState.Succeeded, report.Row("report").Status);
        Assert.Equal(TaskState.Skipped, seen!["downstream"].State);
        Assert.Equal("dependency 'bad' failed", seen["downstream"].Error);
    }

    [Fact]
    public void Settled_merge_reads_status_and_error_through_templates()
    {
        var mapping = JsonDocument.Parse("""
            {
              "good": "{{tasks.good.status}}",
              "bad": "{{tasks.bad.status}}: {{tasks.bad.error}}",
              "downstream": "{{tasks.downstream.status}} ({{tasks.downstream.error}})",
              "value": "{{tasks.good.output.n}}"
            }
            """).RootElement;
        var plan = FailingUpstream()
            .Add(new TaskDefinition
            {
                Id = "summary",
                Body = new MergeBody { Value = mapping },
                Needs = ["good", "bad", "downstream"],
                After = DependencyTrigger.Settled,
            })
            .Build();

        var (report, _) = Sim.Run(plan);

        var output = report.Row("summary").Output!.Value;
        Assert.Equal("succeeded", output.GetProperty("good").GetString());
        Assert.Equal("failed: provider said no", output.GetProperty("bad").GetString());
        Assert.Equal("skipped (dependency 'bad' failed)", output.GetProperty("downstream").GetString());
        Assert.Equal(1, output.GetProperty("value").GetInt32());
    }

    [Fact]
    public void Settled_task_waits_for_every_dependency_to_settle()
    {
        var plan = new PlanBuilder("settled")
            .Configure(p => p with { Defaults = p.Defaults with { Retry = RetryPolicy.None } })
            .Task("fast_fail", Sim.Fail(10))
            .Task("slow_ok", Sim.Work(500))
            .Add(Sim.Def("after", Sim.Work(1), "fast_fail", "slow_ok") with { After = DependencyTrigger.Settled })
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(500, report.StartMs("after"));
    }
}
