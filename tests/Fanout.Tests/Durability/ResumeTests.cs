using System.Collections.Concurrent;
using Fanout.Storage;
using Fanout.Tests.Support;

namespace Fanout.Tests.Durability;

/// <summary>Continuing an interrupted run from its journal.</summary>
public sealed class ResumeTests
{
    private readonly ConcurrentDictionary<string, int> _runs = new(StringComparer.Ordinal);

    private Func<TaskContext, CancellationToken, ValueTask<object?>> Counted(Func<TaskContext, CancellationToken, ValueTask<object?>> work) =>
        (ctx, ct) =>
        {
            _runs.AddOrUpdate(ctx.InstanceId, 1, (_, n) => n + 1);
            return work(ctx, ct);
        };

    /// <summary>Runs until <paramref name="hang"/> is reached by some task, then abandons the scheduler the way a
    /// crash would (nothing more reaches the store after the hang point), and returns the journal as it stands.</summary>
    private static async Task<RunJournal> CrashAsync(PlanDefinition plan, TaskCompletionSource hang)
    {
        var store = new InMemoryRunStore();
        var scheduler = new Scheduler(TaskGraph.Compile(plan), new RunOptions { Store = store, RunId = "r", Seed = 1 });
        var run = scheduler.RunAsync();
        await hang.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(run.IsCompleted);
        return (await store.LoadAsync("r"))!;
    }

    private static Task<RunReport> ResumeAsync(PlanDefinition plan, RunJournal journal, IRunStore store) =>
        new Scheduler(TaskGraph.Compile(plan), new RunOptions { Store = store, Resume = journal, Seed = 1 }).RunAsync();

    private PlanDefinition CrashingPlan(TaskCompletionSource hang, Func<bool> hangs) => new PlanBuilder("resume")
        .Task("a", Counted((_, _) => ValueTask.FromResult<object?>("A")))
        .Task("b", Counted(async (ctx, ct) =>
        {
            if (hangs())
            {
                hang.TrySetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }

            return "B";
        }), "a")
        .Task("c", Counted((ctx, _) => ValueTask.FromResult<object?>(ctx.OutputOf<string>("a") + ctx.OutputOf<string>("b"))), "a", "b")
        .Build();

    [Fact]
    public async Task Resume_does_not_rerun_succeeded_tasks_and_reruns_the_one_that_was_running()
    {
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var crashed = true;
        var plan = CrashingPlan(hang, () => crashed);
        var journal = await CrashAsync(plan, hang);
        crashed = false;
        var store = new InMemoryRunStore();

        var report = await ResumeAsync(plan, journal, store);

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(1, _runs["a"]);
        Assert.Equal(2, _runs["b"]);
        Assert.Equal(1, _runs["c"]);
        Assert.Equal("\"AB\"", report.Row("c").Output!.Value.GetRawText());
        Assert.Equal("r", report.RunId);
    }

    [Fact]
    public async Task An_attempt_running_at_the_crash_is_recorded_as_lost_and_the_next_attempt_is_numbered_after_it()
    {
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var crashed = true;
        var plan = CrashingPlan(hang, () => crashed);
        var journal = await CrashAsync(plan, hang);
        crashed = false;
        Assert.Equal(AttemptOutcome.Running, journal.Attempts.Single(a => a.InstanceId == "b").Outcome);
        var store = new InMemoryRunStore();

        var report = await ResumeAsync(plan, journal, store);

        Assert.Equal([AttemptOutcome.Lost, AttemptOutcome.Succeeded], report.Row("b").AttemptLog.Select(a => a.Outcome));
        Assert.Equal([1, 2], report.Row("b").AttemptLog.Select(a => a.Attempt));
        var attempts = (await store.LoadAsync("r"))!.Attempts.Where(a => a.InstanceId == "b");
        Assert.Equal([(1, AttemptOutcome.Lost), (2, AttemptOutcome.Succeeded)], attempts.Select(a => (a.Attempt, a.Outcome)));
    }

    [Fact]
    public async Task The_resumed_report_covers_the_whole_run()
    {
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var crashed = true;
        var plan = CrashingPlan(hang, () => crashed);
        var journal = await CrashAsync(plan, hang);
        crashed = false;

        var report = await ResumeAsync(plan, journal, new InMemoryRunStore());

        Assert.Equal(["a", "b", "c"], report.Tasks.Select(t => t.Id));
        Assert.All(report.Tasks, t => Assert.Equal(TaskState.Succeeded, t.Status));
        Assert.Equal([AttemptOutcome.Succeeded], report.Row("a").AttemptLog.Select(a => a.Outcome));
        Assert.Equal("\"A\"", report.Row("a").Output!.Value.GetRawText());
        Assert.Equal(journal.Run.StartedAt, report.StartedAt);
        Assert.Equal(1, report.Retries);
    }

    [Fact]
    public async Task Lost_attempts_do_not_use_up_the_retry_budget()
    {
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var crashed = true;
        var plan = CrashingPlan(hang, () => crashed);
        plan = plan with { Tasks = [.. plan.Tasks.Select(t => t with { Retry = new RetryPolicy { MaxAttempts = 1 } })] };
        var journal = await CrashAsync(plan, hang);
        crashed = false;

        var report = await ResumeAsync(plan, journal, new InMemoryRunStore());

        Assert.Equal(TaskState.Succeeded, report.Row("b").Status);
    }

    [Fact]
    public async Task Failed_tasks_run_again_on_resume()
    {
        var failing = true;
        var plan = new PlanBuilder("resume")
            .Task("ok", Counted((_, _) => ValueTask.FromResult<object?>(1)))
            .Add(Sim.Def("flaky", Counted((_, _) => failing ? throw new TaskFailedException("down", retryable: false) : ValueTask.FromResult<object?>(2))))
            .Build();
        var store = new InMemoryRunStore();
        var first = await new Scheduler(TaskGraph.Compile(plan), new RunOptions { Store = store, RunId = "r" }).RunAsync();
        Assert.Equal(RunStatus.Failed, first.Status);
        failing = false;

        var report = await ResumeAsync(plan, (await store.LoadAsync("r"))!, store);

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal((1, 2), (_runs["ok"], _runs["flaky"]));
        Assert.Equal("succeeded", (await store.GetRunAsync("r"))!.Status);
    }

    private sealed class PaidExecutor(Func<bool> fail) : ITaskExecutor
    {
        public string Kind => "paid";

        public ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken) =>
            context.InstanceId == "b" && fail()
                ? throw new TaskFailedException("down", retryable: false)
                : ValueTask.FromResult(TaskResult.FromValue(1) with { CostUsd = 1m });
    }

    [Fact]
    public async Task A_resumed_run_budget_counts_what_the_interrupted_run_already_spent()
    {
        var failing = true;
        var plan = new PlanDefinition
        {
            Name = "paid",
            Tasks = [new TaskDefinition { Id = "a", Body = new CustomBody("paid", default) }, new TaskDefinition { Id = "b", Body = new CustomBody("paid", default), Needs = ["a"] }],
        };
        var store = new InMemoryRunStore();
        var executors = ExecutorRegistry.CreateDefault().With(new PaidExecutor(() => failing));
        await new Scheduler(TaskGraph.Compile(plan), new RunOptions { Store = store, RunId = "r", Executors = executors }).RunAsync();
        failing = false;

        var report = await new Scheduler(TaskGraph.Compile(plan), new RunOptions
        {
            Store = store, Resume = await store.LoadAsync("r"), Executors = executors, BudgetUsd = 1m,
        }).RunAsync();

        Assert.Equal(RunStatus.BudgetExhausted, report.Status);
        Assert.Equal(TaskState.Cancelled, report.Row("b").Status);
        Assert.Equal(1m, report.CostUsd);
    }

    [Fact]
    public async Task Only_the_fan_out_items_that_did_not_succeed_run_again()
    {
        var failing = true;
        var plan = new PlanBuilder("fan")
            .Add(Sim.Def("fan", Counted((ctx, _) => ctx.ItemIndex == 1 && failing
                    ? throw new TaskFailedException("down", retryable: false)
                    : ValueTask.FromResult<object?>(ctx.Item!.Value.GetInt32() * 10))) with
            {
                Foreach = new ForeachSpec { Items = System.Text.Json.JsonSerializer.SerializeToElement(new[] { 1, 2, 3 }) },
            })
            .Build();
        var store = new InMemoryRunStore();
        await new Scheduler(TaskGraph.Compile(plan), new RunOptions { Store = store, RunId = "r" }).RunAsync();
        failing = false;

        var report = await ResumeAsync(plan, (await store.LoadAsync("r"))!, store);

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal((1, 2, 1), (_runs["fan[0]"], _runs["fan[1]"], _runs["fan[2]"]));
        Assert.Equal("[10,20,30]", report.Row("fan").Output!.Value.GetRawText());
    }
}
