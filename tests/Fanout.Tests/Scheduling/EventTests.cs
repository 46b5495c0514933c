using Fanout.Tests.Support;

namespace Fanout.Tests.Scheduling;

/// <summary>The event stream consumers (live view, SSE) rely on.</summary>
public class EventTests
{
    [Fact]
    public void Events_trace_each_state_change_and_retry_in_order()
    {
        var plan = new PlanBuilder("events")
            .Add(Sim.Def("a", Sim.Flaky(1, 10)) with { Retry = new RetryPolicy { MaxAttempts = 2, BaseDelay = TimeSpan.FromMilliseconds(5), Jitter = false } })
            .Task("b", Sim.Work(20), "a")
            .Build();

        var (report, events) = Sim.Run(plan);

        var trace = events.Select(e => e switch
        {
            RunStarted s => $"{report.Ms(s.At)} run started {s.TaskCount} tasks",
            TaskStateChanged c => $"{report.Ms(c.At)} {c.TaskId} {c.State.ToWire()} #{c.Attempt}",
            TaskRetrying r => $"{report.Ms(r.At)} {r.TaskId} retrying after #{r.Attempt} in {r.Delay.TotalMilliseconds}ms: {r.Error}",
            RunFinished f => $"{report.Ms(f.At)} run {f.Status.ToString().ToLowerInvariant()}",
            _ => e.ToString(),
        });
        Assert.Equal(
            [
                "0 run started 2 tasks",
                "0 a ready #0",
                "0 a running #1",
                "10 a retrying after #1 in 5ms: flaky #1",
                "15 a ready #1",
                "15 a running #2",
                "25 a succeeded #2",
                "25 b ready #0",
                "25 b running #1",
                "45 b succeeded #1",
                "45 run succeeded",
            ],
            trace);
    }

    [Fact]
    public void Skipped_and_fanned_out_tasks_are_announced()
    {
        var plan = new PlanBuilder("events")
            .Add(Sim.Def("bad", Sim.Fail(10)) with { Retry = RetryPolicy.None })
            .Task("skipped", Sim.Work(10), "bad")
            .Add(Sim.Def("fan", Sim.Work(10)) with { Foreach = new ForeachSpec { Items = System.Text.Json.JsonSerializer.SerializeToElement(new[] { 1, 2 }) } })
            .Build();

        var (_, events) = Sim.Run(plan);

        var skipped = Assert.Single(events.OfType<TaskStateChanged>(), e => e.State == TaskState.Skipped);
        Assert.Equal("skipped", skipped.TaskId);
        Assert.Equal("dependency 'bad' failed", skipped.Error);
        var expanded = Assert.Single(events.OfType<FanoutExpanded>());
        Assert.Equal(("fan", 2), (expanded.TaskId, expanded.Count));
        Assert.Equal(["fan[0]", "fan[1]", "fan"],
            events.OfType<TaskStateChanged>().Where(e => e.State == TaskState.Succeeded).Select(e => e.TaskId));
    }
}
