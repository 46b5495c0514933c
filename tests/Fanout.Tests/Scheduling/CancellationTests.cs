using Fanout.Tests.Support;
using Fanout.Time;

namespace Fanout.Tests.Scheduling;

/// <summary>Cancelling the run's token.</summary>
public class CancellationTests
{
    private static PlanDefinition Plan() => new PlanBuilder("cancel")
        .Task("a", Sim.Work(100))
        .Task("b", Sim.Work(1000), "a")
        .Task("c", Sim.Work(1000), "a")
        .Task("d", Sim.Work(100), "b")
        .Task("queued", Sim.Work(100))
        .Add(Sim.Def("retrying", Sim.Flaky(9, 10)) with { Retry = new RetryPolicy { MaxAttempts = 10, BaseDelay = TimeSpan.FromSeconds(1), Jitter = false } })
        .Build();

    [Fact]
    public void Cancelling_mid_run_cancels_in_flight_attempts_and_still_returns_a_report()
    {
        var clock = new VirtualClock();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(500), clock);

        var (report, events) = Sim.Run(Plan(), concurrency: 3, cancellationToken: cts.Token, clock: clock);

        Assert.Equal(RunStatus.Cancelled, report.Status);
        Assert.Equal(500, report.MakespanMs);
        Assert.Equal(TaskState.Succeeded, report.Row("a").Status);
        Assert.Equal(TaskState.Cancelled, report.Row("b").Status);
        Assert.Equal([AttemptOutcome.Cancelled], report.Row("b").AttemptLog.Select(a => a.Outcome));
        Assert.Equal(500, report.EndMs("b"));
        Assert.Equal("cancelled by user", report.Row("b").Error);
        Assert.Equal(TaskState.Cancelled, report.Row("d").Status);
        Assert.Null(report.Row("d").StartedAt);
        Assert.Equal(TaskState.Cancelled, report.Row("retrying").Status);
        Assert.All(report.Tasks, t => Assert.True(t.Status.IsSettled(), $"{t.Id} is {t.Status}"));
        var cancelledAt = report.StartedAt.AddMilliseconds(500);
        Assert.DoesNotContain(events.OfType<TaskStateChanged>(), e => e.State == TaskState.Running && e.At >= cancelledAt);
        Assert.Equal(RunStatus.Cancelled, events.OfType<RunFinished>().Single().Status);
    }

    [Fact]
    public void Cancelled_attempt_is_not_retried()
    {
        var clock = new VirtualClock();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(50), clock);
        var plan = new PlanBuilder("cancel").Add(Sim.Def("t", Sim.Work(1000)) with { Retry = new RetryPolicy { MaxAttempts = 5 } }).Build();

        var (report, events) = Sim.Run(plan, cancellationToken: cts.Token, clock: clock);

        Assert.Equal(1, report.Row("t").Attempts);
        Assert.Empty(events.OfType<TaskRetrying>());
        Assert.Equal(0, report.Retries);
    }

    [Fact]
    public void Token_cancelled_before_the_run_starts_nothing()
    {
        var started = 0;
        var plan = new PlanBuilder("cancel")
            .Task("a", (_, _) => ValueTask.FromResult<object?>(++started))
            .Task("b", (_, _) => ValueTask.FromResult<object?>(++started), "a")
            .Build();

        var (report, _) = Sim.Run(plan, cancellationToken: new CancellationToken(canceled: true));

        Assert.Equal(0, started);
        Assert.Equal(RunStatus.Cancelled, report.Status);
        Assert.All(report.Tasks, t => Assert.Equal(TaskState.Cancelled, t.Status));
    }

    [Fact]
    public void Cancelling_a_fan_out_cancels_its_running_and_waiting_items()
    {
        var clock = new VirtualClock();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(150), clock);
        var plan = new PlanBuilder("cancel")
            .Add(Sim.Def("g", Sim.Work(100)) with { Foreach = new ForeachSpec { Items = System.Text.Json.JsonSerializer.SerializeToElement(new[] { 1, 2, 3, 4, 5 }) } })
            .Task("after", Sim.Work(10), "g")
            .Build();

        var (report, _) = Sim.Run(plan, concurrency: 2, cancellationToken: cts.Token, clock: clock);

        Assert.Equal(RunStatus.Cancelled, report.Status);
        Assert.Equal(TaskState.Cancelled, report.Row("g").Status);
        Assert.Equal([TaskState.Succeeded, TaskState.Succeeded, TaskState.Cancelled, TaskState.Cancelled, TaskState.Cancelled],
            Enumerable.Range(0, 5).Select(i => report.Row($"g[{i}]").Status));
        Assert.Null(report.Row("g[4]").StartedAt);
        Assert.Equal(TaskState.Cancelled, report.Row("after").Status);
        Assert.Equal(150, report.MakespanMs);
    }
}
