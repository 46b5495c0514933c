using System.Text.Json;
using Fanout.Tests.Support;

namespace Fanout.Tests.Scheduling;

/// <summary>The report's figures for plans whose schedule is known exactly.</summary>
public class ReportFigureTests
{
    /// <summary>
    /// Concurrency 2. r leads to w, so it outranks x, y, z. Schedule: r 0–10 fails, backs off 50 ms; x 0–100; y 10–110;
    /// r is ready again at 60 but both slots are busy until x ends: r 100–110; then z 110–210 and w 110–150.
    /// </summary>
    private static PlanDefinition KnownPlan() => new PlanBuilder("known")
        .Task("x", Sim.Work(100))
        .Task("y", Sim.Work(100))
        .Task("z", Sim.Work(100))
        .Add(Sim.Def("r", Sim.Flaky(1, 10)) with { Retry = new RetryPolicy { MaxAttempts = 2, BaseDelay = TimeSpan.FromMilliseconds(50), Jitter = false } })
        .Task("w", Sim.Work(40), "r")
        .Build();

    [Fact]
    public void Schedule_of_the_known_plan_is_as_computed_by_hand()
    {
        var (report, _) = Sim.Run(KnownPlan(), concurrency: 2);

        Assert.Equal([0.0, 10, 110, 0, 110], new[] { "x", "y", "z", "r", "w" }.Select(report.StartMs));
        Assert.Equal([100.0, 110, 210, 110, 150], new[] { "x", "y", "z", "r", "w" }.Select(report.EndMs));
        Assert.Equal(100, report.Ms(report.Row("r").AttemptLog[1].StartedAt));
    }

    [Fact]
    public void Report_figures_of_the_known_plan_are_exact()
    {
        var (report, _) = Sim.Run(KnownPlan(), concurrency: 2);

        Assert.Equal(210, report.MakespanMs);
        // Durations run from first start to settlement, backoff included: r counts 110.
        Assert.Equal(450, report.SequentialMs);
        Assert.Equal(2.143, report.Speedup);
        Assert.Equal(["r", "w"], report.CriticalPath.ToArray());
        Assert.Equal(150, report.CriticalPathMs);
        // Work occupies slots only while an attempt runs: 100·3 + 10 + 10 + 40 = 360 over 2 slots = 180 > 150.
        Assert.Equal(180, report.LowerBoundMs);
        Assert.True(report.LowerBoundMs <= report.MakespanMs);
        Assert.Equal(0.8571, report.Efficiency);
        Assert.Equal(2, report.Concurrency);
        Assert.Equal(2, report.PeakConcurrency);
        Assert.Equal(1, report.Retries);
        Assert.Equal(5, report.Counts["succeeded"]);
        Assert.True(report.Row("r").Critical);
        Assert.True(report.Row("w").Critical);
        Assert.False(report.Row("x").Critical);
    }

    [Fact]
    public void Wait_ms_counts_time_ready_but_held_by_the_limit()
    {
        var (report, _) = Sim.Run(KnownPlan(), concurrency: 2);

        // y waits 0–10, z 0–110, r's retry 60–100.
        Assert.Equal([0.0, 10, 110, 40, 0], new[] { "x", "y", "z", "r", "w" }.Select(id => report.Row(id).WaitMs));
    }

    [Fact]
    public void Lower_bound_includes_work_per_pool_size()
    {
        var plan = new PlanBuilder("pool")
            .Pool("one", 1)
            .Add(Sim.Def("a", Sim.Work(100)) with { Pool = "one" })
            .Add(Sim.Def("b", Sim.Work(100)) with { Pool = "one" })
            .Add(Sim.Def("c", Sim.Work(100)) with { Pool = "one" })
            .Task("free", Sim.Work(50))
            .Build();

        var (report, _) = Sim.Run(plan, concurrency: 4);

        Assert.Equal(300, report.MakespanMs);
        Assert.Equal(300, report.LowerBoundMs);
        Assert.Equal(1, report.Efficiency);
        Assert.Equal(1.167, report.Speedup);
    }

    [Fact]
    public void Critical_path_runs_through_the_slowest_fan_out_item()
    {
        var plan = new PlanBuilder("fan")
            .Task("plan", Sim.Work(10, new[] { 50, 80, 20 }))
            .Add(Sim.Def("item", async (ctx, ct) =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(ctx.Item!.Value.GetInt32()), ctx.Time, ct);
                return null;
            }, "plan") with { Foreach = new ForeachSpec { Path = "tasks.plan.output" } })
            .Task("merge", Sim.Work(5), "item")
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(["plan", "item[1]", "merge"], report.CriticalPath.ToArray());
        Assert.Equal(95, report.CriticalPathMs);
        Assert.Equal(95, report.MakespanMs);
        Assert.Equal(165, report.SequentialMs);
        Assert.True(report.Row("item").Critical);
        Assert.False(report.Row("item[0]").Critical);
        Assert.Equal(["plan", "item", "item[0]", "item[1]", "item[2]", "merge"], report.Tasks.Select(t => t.Id));
    }

    [Fact]
    public void Report_round_trips_through_run_json_with_snake_case_names()
    {
        var (report, _) = Sim.Run(KnownPlan(), concurrency: 2);

        var json = report.ToJson();
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;

        Assert.Equal(210, root.GetProperty("makespan_ms").GetDouble());
        Assert.Equal(180, root.GetProperty("lower_bound_ms").GetDouble());
        Assert.Equal("succeeded", root.GetProperty("status").GetString());
        Assert.Equal(["failed", "succeeded"], root.GetProperty("tasks")[3].GetProperty("attempt_log").EnumerateArray().Select(a => a.GetProperty("outcome").GetString()));
        var back = RunReport.FromJson(json);
        Assert.Equal(report.CriticalPath.ToArray(), back.CriticalPath.ToArray());
        Assert.Equal(report.Efficiency, back.Efficiency);
    }
}
