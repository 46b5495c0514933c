using Fanout.Tests.Support;

namespace Fanout.Tests.Scheduling;

/// <summary>When tasks start: no waves, critical-path priority, named pools.</summary>
public class DispatchTests
{
    [Fact]
    public void Fast_branch_is_not_held_back_by_a_slow_sibling()
    {
        var plan = new PlanBuilder("no-waves")
            .Task("a", Sim.Work(1000))
            .Task("b", Sim.Work(10_000), "a")
            .Task("c", Sim.Work(1000), "a")
            .Task("d", Sim.Work(1000), "c")
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(2000, report.StartMs("d"));
        Assert.Equal(3000, report.EndMs("d"));
        Assert.Equal(11_000, report.EndMs("b"));
        Assert.Equal(11_000, report.MakespanMs);
    }

    /// <summary>x1, x2 are short independent tasks listed first; y is short but leads to the long y2.</summary>
    private static PlanDefinition PriorityPlan() => new PlanBuilder("priority")
        .Add(Sim.Def("x1", Sim.Work(5000)) with { Estimate = TimeSpan.FromSeconds(5) })
        .Add(Sim.Def("x2", Sim.Work(5000)) with { Estimate = TimeSpan.FromSeconds(5) })
        .Add(Sim.Def("y", Sim.Work(1000)) with { Estimate = TimeSpan.FromSeconds(1) })
        .Add(Sim.Def("y2", Sim.Work(10_000), "y") with { Estimate = TimeSpan.FromSeconds(10) })
        .Build();

    [Fact]
    public void Task_with_longest_remaining_path_starts_first_under_a_concurrency_limit()
    {
        var (report, _) = Sim.Run(PriorityPlan(), concurrency: 2);

        Assert.Equal(0, report.StartMs("y"));
        Assert.Equal(0, report.StartMs("x1"));
        Assert.Equal(1000, report.StartMs("y2"));
        Assert.Equal(5000, report.StartMs("x2"));
        Assert.Equal(11_000, report.MakespanMs);
    }

    [Fact]
    public void Critical_path_order_beats_file_order_on_makespan()
    {
        // Equal estimates make every rank equal, so ready tasks start in FIFO (file) order.
        var (fifo, _) = Sim.Run(PriorityPlan(), concurrency: 2, configure: o => o with { Estimator = _ => TimeSpan.Zero });
        var (ranked, _) = Sim.Run(PriorityPlan(), concurrency: 2);

        Assert.Equal(5000, fifo.StartMs("y"));
        Assert.Equal(16_000, fifo.MakespanMs);
        Assert.Equal(11_000, ranked.MakespanMs);
    }

    [Fact]
    public void Estimator_option_sets_priority_with_concurrency_one()
    {
        // Without estimates on the tasks, the run's estimator alone decides: y leads to 10 s more work.
        var plan = new PlanBuilder("estimator")
            .Task("x1", Sim.Work(5000))
            .Task("x2", Sim.Work(5000))
            .Task("y", Sim.Work(1000))
            .Task("y2", Sim.Work(10_000), "y")
            .Build();
        var estimates = new Dictionary<string, double> { ["x1"] = 5000, ["x2"] = 5000, ["y"] = 1000, ["y2"] = 10_000 };

        var (report, _) = Sim.Run(plan, concurrency: 1,
            configure: o => o with { Estimator = t => TimeSpan.FromMilliseconds(estimates[t.Id]) });

        Assert.Equal(["y", "y2", "x1", "x2"], report.Tasks.OrderBy(t => t.StartedAt).Select(t => t.Id));
        Assert.Equal(21_000, report.MakespanMs);
    }

    [Fact]
    public void Pool_of_two_never_runs_three_at_once_while_other_tasks_run()
    {
        var inPool = 0;
        var peakInPool = 0;
        Func<TaskContext, CancellationToken, ValueTask<object?>> pooled = async (ctx, ct) =>
        {
            peakInPool = Math.Max(peakInPool, Interlocked.Increment(ref inPool));
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), ctx.Time, ct);
            }
            finally
            {
                Interlocked.Decrement(ref inPool);
            }

            return null;
        };
        var builder = new PlanBuilder("pools").Pool("p", 2);
        for (var i = 0; i < 5; i++)
        {
            builder.Add(Sim.Def($"p{i}", pooled) with { Pool = "p" });
        }

        builder.Task("free1", Sim.Work(100)).Task("free2", Sim.Work(250));

        var (report, events) = Sim.Run(builder.Build(), concurrency: 8);

        Assert.Equal(2, peakInPool);
        Assert.Equal(2, events.PeakRunning(id => id.StartsWith('p')));
        Assert.Equal([0, 0, 100, 100, 200], Enumerable.Range(0, 5).Select(i => report.StartMs($"p{i}")).Order());
        Assert.Equal(0, report.StartMs("free1"));
        Assert.Equal(0, report.StartMs("free2"));
        Assert.Equal(4, report.PeakConcurrency);
        Assert.Equal(300, report.MakespanMs);
    }

    [Fact]
    public void Full_pool_does_not_block_ready_work_of_other_pools()
    {
        // The slow pool's tasks have the highest ranks, but its single slot is taken: lower-ranked work elsewhere
        // must still use the free global slots.
        var plan = new PlanBuilder("pools")
            .Pool("slow", 1)
            .Pool("fast", 1)
            .Add(Sim.Def("s1", Sim.Work(1000)) with { Pool = "slow", Estimate = TimeSpan.FromSeconds(100) })
            .Add(Sim.Def("s2", Sim.Work(1000)) with { Pool = "slow", Estimate = TimeSpan.FromSeconds(100) })
            .Add(Sim.Def("f1", Sim.Work(100)) with { Pool = "fast", Estimate = TimeSpan.FromSeconds(1) })
            .Add(Sim.Def("f2", Sim.Work(100)) with { Pool = "fast", Estimate = TimeSpan.FromSeconds(1) })
            .Add(Sim.Def("u", Sim.Work(100)) with { Estimate = TimeSpan.FromSeconds(1) })
            .Build();

        var (report, _) = Sim.Run(plan, concurrency: 3);

        Assert.Equal(0, report.StartMs("s1"));
        Assert.Equal(0, report.StartMs("f1"));
        Assert.Equal(0, report.StartMs("u"));
        Assert.Equal(100, report.StartMs("f2"));
        Assert.Equal(1000, report.StartMs("s2"));
        Assert.Equal(100, report.Row("f2").WaitMs);
    }

    [Fact]
    public void Empty_plan_succeeds_at_once()
    {
        var (report, _) = Sim.Run(new PlanBuilder("empty").Build());

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Empty(report.Tasks);
        Assert.Equal(0, report.MakespanMs);
        Assert.Equal(1, report.Speedup);
        Assert.Equal(1, report.Efficiency);
    }
}
