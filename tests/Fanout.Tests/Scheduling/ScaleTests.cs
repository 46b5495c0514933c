using Fanout.Time;

namespace Fanout.Tests.Scheduling;

/// <summary>Large graphs of no-op tasks finish, in virtual time, with a row per task.</summary>
public class ScaleTests
{
    private const int Size = 100_000;

    private static readonly Func<TaskContext, CancellationToken, ValueTask<object?>> NoOp = (_, _) => ValueTask.FromResult<object?>(null);

    private static RunReport Run(PlanDefinition plan, int concurrency)
    {
        var clock = new VirtualClock();
        var scheduler = new Scheduler(TaskGraph.Compile(plan), new RunOptions { Time = clock, Concurrency = concurrency, RunId = "scale" });
        return VirtualTime.Run(clock, () => scheduler.RunAsync());
    }

    [Fact]
    public void Chain_of_100k_tasks_completes()
    {
        var builder = new PlanBuilder("chain").Task("t0", NoOp);
        for (var i = 1; i < Size; i++)
        {
            builder.Task($"t{i}", NoOp, $"t{i - 1}");
        }

        var report = Run(builder.Build(), concurrency: 16);

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(Size, report.Tasks.Length);
        Assert.Equal(Size, report.Counts["succeeded"]);
        Assert.Equal(1, report.PeakConcurrency);
    }

    [Fact]
    public void Wide_graph_of_100k_tasks_completes()
    {
        var builder = new PlanBuilder("wide").Task("root", NoOp);
        var middle = new string[Size - 2];
        for (var i = 0; i < middle.Length; i++)
        {
            middle[i] = $"t{i}";
            builder.Task(middle[i], NoOp, "root");
        }

        builder.Task("sink", NoOp, middle);

        var report = Run(builder.Build(), concurrency: 64);

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(Size, report.Tasks.Length);
        Assert.Equal(64, report.PeakConcurrency);
        Assert.Equal("sink", report.Tasks[^1].Id);
    }

    [Fact]
    public void Fan_out_of_50k_items_feeding_another_fan_out_completes_and_finds_its_critical_path()
    {
        const int items = 50_000;
        var plan = new PlanBuilder("fans")
            .Task("list", (_, _) => ValueTask.FromResult<object?>(Enumerable.Range(0, items).ToArray()))
            .Add(new TaskDefinition
            {
                Id = "map",
                Needs = ["list"],
                Foreach = new ForeachSpec { Path = "tasks.list.output" },
                // Item n takes n % 7 + 1 ms, so the slowest first item is map[6].
                Body = new DelegateBody(async (ctx, ct) =>
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(ctx.Item!.Value.GetInt32() % 7 + 1), ctx.Time, ct);
                    return null;
                }),
            })
            .Add(new TaskDefinition { Id = "again", Body = new DelegateBody(Support.Sim.Work(1)), Needs = ["map", "list"], Foreach = new ForeachSpec { Path = "tasks.list.output" } })
            .Build();

        var report = Run(plan, concurrency: 64);

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(3 + 2 * items, report.Tasks.Length);
        Assert.Equal(["list", "map[6]", "again[0]"], report.CriticalPath.ToArray());
        Assert.Equal(8, report.CriticalPathMs);
    }
}
