using Fanout.Tests.Support;

namespace Fanout.Tests.Scheduling;

/// <summary>Per-attempt timeouts.</summary>
public class TimeoutTests
{
    private static readonly RetryPolicy Exact = new()
    {
        MaxAttempts = 3,
        BaseDelay = TimeSpan.FromMilliseconds(100),
        MaxDelay = TimeSpan.FromSeconds(1),
        Jitter = false,
    };

    [Fact]
    public void Attempt_exceeding_its_timeout_is_cancelled_recorded_as_timed_out_and_retried()
    {
        var sawCancellation = false;
        var plan = new PlanBuilder("timeout")
            .Add(Sim.Def("t", async (ctx, ct) =>
            {
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(ctx.Attempt == 1 ? 500 : 50), ctx.Time, ct);
                }
                catch (OperationCanceledException)
                {
                    sawCancellation = ct.IsCancellationRequested;
                    throw;
                }

                return "done";
            }) with { Timeout = TimeSpan.FromMilliseconds(100), Retry = Exact })
            .Build();

        var (report, _) = Sim.Run(plan);

        var row = report.Row("t");
        Assert.True(sawCancellation);
        Assert.Equal(TaskState.Succeeded, row.Status);
        Assert.Equal([AttemptOutcome.TimedOut, AttemptOutcome.Succeeded], row.AttemptLog.Select(a => a.Outcome));
        Assert.Equal("timed out after 100ms", row.AttemptLog[0].Error);
        Assert.Equal(100, report.Ms(row.AttemptLog[0].FinishedAt));
        Assert.Equal(200, report.Ms(row.AttemptLog[1].StartedAt));
        Assert.Equal(250, report.MakespanMs);
    }

    [Fact]
    public void Task_that_always_times_out_fails_with_an_error_naming_the_timeout()
    {
        var plan = new PlanBuilder("timeout")
            .Add(Sim.Def("t", Sim.Work(10_000)) with { Timeout = TimeSpan.FromSeconds(2), Retry = Exact with { MaxAttempts = 2 } })
            .Task("after", Sim.Work(10), "t")
            .Build();

        var (report, _) = Sim.Run(plan);

        var row = report.Row("t");
        Assert.Equal(TaskState.Failed, row.Status);
        Assert.Equal([AttemptOutcome.TimedOut, AttemptOutcome.TimedOut], row.AttemptLog.Select(a => a.Outcome));
        Assert.Equal("timed out after 2.0s", row.Error);
        Assert.Equal(TaskState.Skipped, report.Row("after").Status);
        Assert.Equal(4100, report.MakespanMs);
    }

    [Fact]
    public void Plan_default_timeout_applies_to_tasks_without_one()
    {
        var plan = new PlanBuilder("timeout")
            .Configure(p => p with { Defaults = p.Defaults with { Timeout = TimeSpan.FromMilliseconds(300), Retry = RetryPolicy.None } })
            .Task("slow", Sim.Work(1000))
            .Task("quick", Sim.Work(200))
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(TaskState.Failed, report.Row("slow").Status);
        Assert.Equal("timed out after 300ms", report.Row("slow").Error);
        Assert.Equal(300, report.EndMs("slow"));
        Assert.Equal(TaskState.Succeeded, report.Row("quick").Status);
    }

    [Fact]
    public void Timeout_applies_to_each_attempt_not_to_the_whole_task()
    {
        // Two 80 ms attempts and a 100 ms backoff exceed the 100 ms timeout in total, but neither attempt does.
        var plan = new PlanBuilder("timeout")
            .Add(Sim.Def("t", Sim.Flaky(1, 80)) with { Timeout = TimeSpan.FromMilliseconds(100), Retry = Exact })
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal([AttemptOutcome.Failed, AttemptOutcome.Succeeded], report.Row("t").AttemptLog.Select(a => a.Outcome));
        Assert.Equal(260, report.MakespanMs);
    }
}
