using Fanout.Tests.Support;

namespace Fanout.Tests.Scheduling;

/// <summary>Retries: attempt counts, the attempt log, exponential backoff with full jitter, non-retryable errors, slots
/// free during backoff.</summary>
public class RetryTests
{
    private static readonly RetryPolicy Exact = new()
    {
        MaxAttempts = 5,
        BaseDelay = TimeSpan.FromMilliseconds(100),
        MaxDelay = TimeSpan.FromMilliseconds(250),
        Jitter = false,
    };

    [Fact]
    public void Task_failing_twice_then_succeeding_has_three_attempts_in_its_log()
    {
        var plan = new PlanBuilder("retry")
            .Add(Sim.Def("t", Sim.Flaky(2, 10)) with { Retry = Exact })
            .Build();

        var (report, events) = Sim.Run(plan);

        var row = report.Row("t");
        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(TaskState.Succeeded, row.Status);
        Assert.Equal(3, row.Attempts);
        Assert.Equal([AttemptOutcome.Failed, AttemptOutcome.Failed, AttemptOutcome.Succeeded], row.AttemptLog.Select(a => a.Outcome));
        Assert.Equal(["flaky #1", "flaky #2", null], row.AttemptLog.Select(a => a.Error));
        Assert.Equal([1, 2, 3], row.AttemptLog.Select(a => a.Attempt));
        Assert.Equal(2, report.Retries);
        Assert.Equal(2, events.OfType<TaskRetrying>().Count());
        Assert.Null(row.Error);
    }

    [Fact]
    public void Backoff_without_jitter_doubles_from_the_base_up_to_the_cap()
    {
        var plan = new PlanBuilder("backoff")
            .Add(Sim.Def("t", Sim.Flaky(4, 10)) with { Retry = Exact })
            .Build();

        var (report, events) = Sim.Run(plan);

        var log = report.Row("t").AttemptLog;
        // Attempt n+1 starts exactly min(250, 100·2^(n-1)) ms after attempt n failed: 100, 200, 250, 250.
        var gaps = log.Zip(log.Skip(1), (a, b) => (b.StartedAt - a.FinishedAt).TotalMilliseconds);
        Assert.Equal([100.0, 200.0, 250.0, 250.0], gaps);
        Assert.Equal([0.0, 110.0, 320.0, 580.0, 840.0], log.Select(a => report.Ms(a.StartedAt)));
        Assert.Equal([100.0, 200.0, 250.0, 250.0], events.OfType<TaskRetrying>().Select(r => r.Delay.TotalMilliseconds));
        Assert.Equal(850, report.MakespanMs);
    }

    [Fact]
    public void A_task_waiting_for_its_backoff_gives_its_slot_to_ready_work()
    {
        // A retry is a re-queue on the loop's timer, not a wait inside the attempt (so no Polly pipeline around it).
        var plan = new PlanBuilder("slot")
            .Add(Sim.Def("flaky", Sim.Flaky(1, 10)) with { Retry = Exact, Estimate = TimeSpan.FromSeconds(10) })
            .Add(Sim.Def("other", Sim.Work(50)))
            .Build();

        var (report, _) = Sim.Run(plan, concurrency: 1);

        Assert.Equal(10, report.StartMs("other"));
        Assert.Equal(110, report.Ms(report.Row("flaky").AttemptLog[1].StartedAt));
        Assert.Equal(120, report.MakespanMs);
    }

    [Fact]
    public void Backoff_with_full_jitter_stays_within_the_exponential_ceiling()
    {
        var policy = Exact with { Jitter = true, MaxAttempts = 6, BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(5) };
        var builder = new PlanBuilder("jitter");
        for (var i = 0; i < 20; i++)
        {
            builder.Add(Sim.Def($"t{i}", Sim.Flaky(5, 10)) with { Retry = policy });
        }

        var (report, _) = Sim.Run(builder.Build(), concurrency: 20);

        var gaps = new List<(int Retry, double Ms)>();
        foreach (var row in report.Tasks)
        {
            Assert.Equal(6, row.Attempts);
            var log = row.AttemptLog;
            gaps.AddRange(log.Zip(log.Skip(1), (a, b) => (a.Attempt, (b.StartedAt - a.FinishedAt).TotalMilliseconds)));
        }

        Assert.Equal(100, gaps.Count);
        foreach (var (retry, ms) in gaps)
        {
            var ceiling = Math.Min(5000, 1000 * Math.Pow(2, retry - 1));
            Assert.InRange(ms, 0, ceiling);
        }

        // Jitter really spreads the delays: the same retry number waits differently for different tasks.
        Assert.All(gaps.GroupBy(g => g.Retry), g => Assert.True(g.Select(x => x.Ms).Distinct().Count() > 10));
    }

    [Fact]
    public void Jittered_gaps_are_exactly_the_policy_delays_drawn_from_the_run_seed()
    {
        var policy = Exact with { Jitter = true };
        var plan = new PlanBuilder("seeded").Add(Sim.Def("t", Sim.Flaky(4, 10)) with { Retry = policy }).Build();

        var (report, _) = Sim.Run(plan, configure: o => o with { Seed = 7 });

        var log = report.Row("t").AttemptLog;
        var random = new Random(7);
        Assert.Equal(Enumerable.Range(1, 4).Select(n => policy.DelayFor(n, random)), log.Zip(log.Skip(1), (a, b) => b.StartedAt - a.FinishedAt));
    }

    [Fact]
    public void Jittered_delays_are_reproducible_with_a_seed()
    {
        var policy = Exact with { Jitter = true };
        var plan = new PlanBuilder("seeded").Add(Sim.Def("t", Sim.Flaky(3, 10)) with { Retry = policy }).Build();

        var (first, _) = Sim.Run(plan, configure: o => o with { Seed = 42 });
        var (second, _) = Sim.Run(plan, configure: o => o with { Seed = 42 });

        Assert.Equal(first.Row("t").AttemptLog.ToArray(), second.Row("t").AttemptLog.ToArray());
        Assert.NotEqual(110, first.Ms(first.Row("t").AttemptLog[1].StartedAt));
    }

    [Fact]
    public void Rate_limited_attempts_wait_at_least_the_providers_retry_after_and_are_counted()
    {
        var retryAfter = TimeSpan.FromSeconds(7);
        Func<TaskContext, CancellationToken, ValueTask<object?>> limited = async (ctx, ct) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), ctx.Time, ct);
            return ctx.Attempt <= 2 ? throw new RateLimitedException("429 Too Many Requests", retryAfter) : ctx.InstanceId;
        };
        var plan = new PlanBuilder("limited").Add(Sim.Def("t", limited) with { Retry = Exact }).Build();

        var (report, _) = Sim.Run(plan);

        var log = report.Row("t").AttemptLog;
        Assert.Equal(3, log.Length);
        Assert.Equal(retryAfter, log[1].StartedAt - log[0].FinishedAt);
        Assert.Equal(retryAfter, log[2].StartedAt - log[1].FinishedAt);
        Assert.Equal(2, report.RateLimited);
        Assert.Equal(2, report.Retries);
    }

    [Fact]
    public void Non_retryable_failure_is_not_retried()
    {
        var plan = new PlanBuilder("fatal")
            .Add(Sim.Def("t", Sim.Fail(10, "bad request", retryable: false)) with { Retry = Exact })
            .Build();

        var (report, events) = Sim.Run(plan);

        var row = report.Row("t");
        Assert.Equal(TaskState.Failed, row.Status);
        Assert.Equal(1, row.Attempts);
        Assert.Equal("bad request", row.Error);
        Assert.Empty(events.OfType<TaskRetrying>());
        Assert.Equal(10, report.MakespanMs);
    }

    [Fact]
    public void Retries_stop_at_max_attempts()
    {
        var plan = new PlanBuilder("max")
            .Add(Sim.Def("t", Sim.Fail(10, "always")) with { Retry = Exact with { MaxAttempts = 3 } })
            .Build();

        var (report, _) = Sim.Run(plan);

        var row = report.Row("t");
        Assert.Equal(TaskState.Failed, row.Status);
        Assert.Equal(3, row.Attempts);
        Assert.Equal([AttemptOutcome.Failed, AttemptOutcome.Failed, AttemptOutcome.Failed], row.AttemptLog.Select(a => a.Outcome));
        Assert.Equal("always", row.Error);
        Assert.Equal(RunStatus.Failed, report.Status);
        Assert.Equal(2, report.Retries);
    }

    [Fact]
    public void Plan_default_retry_policy_applies_to_tasks_without_one()
    {
        var plan = new PlanBuilder("defaults")
            .Configure(p => p with { Defaults = p.Defaults with { Retry = Exact with { MaxAttempts = 2 } } })
            .Task("t", Sim.Fail(10))
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(2, report.Row("t").Attempts);
        Assert.Equal(110, report.Ms(report.Row("t").AttemptLog[1].StartedAt));
    }

    [Fact]
    public void Unexpected_exception_is_retried_and_reported_with_its_type()
    {
        var calls = 0;
        var plan = new PlanBuilder("crash")
            .Add(Sim.Def("t", (_, _) => ++calls < 2 ? throw new InvalidOperationException("oops") : ValueTask.FromResult<object?>("ok"))
                with { Retry = Exact })
            .Build();

        var (report, _) = Sim.Run(plan);

        var row = report.Row("t");
        Assert.Equal(TaskState.Succeeded, row.Status);
        Assert.Equal("InvalidOperationException: oops", row.AttemptLog[0].Error);
    }
}
