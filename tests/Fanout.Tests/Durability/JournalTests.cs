using Fanout.Storage;
using Fanout.Tests.Support;

namespace Fanout.Tests.Durability;

/// <summary>What the scheduler writes to the journal, and that it writes it before acting (journal-first).</summary>
public sealed class JournalTests
{
    private readonly InMemoryRunStore _store = new();

    private RunJournal Journal() => _store.LoadAsync("test").Result!;

    private (RunReport Report, List<RunEvent> Events) Run(PlanDefinition plan) =>
        Sim.Run(plan, configure: o => o with { Store = _store });

    [Fact]
    public void An_attempt_start_is_journaled_before_its_executor_runs()
    {
        AttemptRecord? seen = null;
        var plan = new PlanBuilder("j").Task("a", (ctx, _) =>
        {
            seen = Journal().Attempts.Single(a => a.InstanceId == "a");
            return ValueTask.FromResult<object?>(1);
        }).Build();

        Run(plan);

        Assert.Equal(AttemptOutcome.Running, seen!.Outcome);
        Assert.Null(seen.FinishedAt);
    }

    [Fact]
    public void A_dependent_starts_only_after_its_dependency_success_and_output_are_journaled()
    {
        InstanceRecord? seen = null;
        var plan = new PlanBuilder("j")
            .Task("a", Sim.Work(10, "out-a"))
            .Task("b", (ctx, _) =>
            {
                seen = Journal().Instances.Single(i => i.InstanceId == "a");
                return ValueTask.FromResult<object?>(2);
            }, "a")
            .Build();

        Run(plan);

        Assert.Equal(TaskState.Succeeded, seen!.State);
        Assert.Equal("\"out-a\"", StoredResult.Deserialize(seen.ResultJson!).Output.GetRawText());
    }

    [Fact]
    public void Every_attempt_is_journaled_with_its_outcome_error_and_timing()
    {
        var plan = new PlanBuilder("j")
            .Add(Sim.Def("flaky", Sim.Flaky(2, 100)) with { Retry = new RetryPolicy { MaxAttempts = 3, BaseDelay = TimeSpan.FromSeconds(1), Jitter = false } })
            .Build();

        var (report, _) = Run(plan);

        var attempts = Journal().Attempts;
        Assert.Equal([AttemptOutcome.Failed, AttemptOutcome.Failed, AttemptOutcome.Succeeded], attempts.Select(a => a.Outcome));
        Assert.Equal(["flaky #1", "flaky #2", null], attempts.Select(a => a.Error));
        Assert.Equal(report.Row("flaky").AttemptLog.Select(a => (a.StartedAt, a.FinishedAt)), attempts.Select(a => (a.StartedAt, a.FinishedAt!.Value)));
        Assert.Equal(TaskState.Succeeded, Assert.Single(Journal().Instances).State);
    }

    [Fact]
    public void Failed_and_skipped_instances_are_journaled_with_their_reasons()
    {
        var plan = new PlanBuilder("j").Add(Sim.Def("a", Sim.Fail(10, "broke", retryable: false))).Task("b", Sim.Work(10), "a").Build();

        Run(plan);

        var rows = Journal().Instances.ToDictionary(i => i.InstanceId);
        Assert.Equal((TaskState.Failed, "broke"), (rows["a"].State, rows["a"].Error));
        Assert.Equal((TaskState.Skipped, "dependency 'a' failed"), (rows["b"].State, rows["b"].Error));
        Assert.Null(rows["a"].ResultJson);
    }

    [Fact]
    public void The_run_row_records_the_plan_and_its_final_status_and_cost()
    {
        var plan = new PlanBuilder("journaled").Task("a", Sim.Work(10)).Build();

        var (report, _) = Sim.Run(plan, configure: o => o with { Store = _store, PlanText = "name: journaled", PlanPath = "/p.yaml" });

        var run = Journal().Run;
        Assert.Equal(("journaled", "succeeded", "name: journaled", "/p.yaml"), (run.Plan, run.Status, run.PlanText, run.PlanPath));
        Assert.Equal(report.StartedAt, run.StartedAt);
        Assert.Equal(report.FinishedAt, run.FinishedAt);
        Assert.Equal(DefinitionHashes.ForPlan(DefinitionHashes.Compute(TaskGraph.Compile(plan))), run.PlanHash);
    }

    [Fact]
    public void Fan_out_items_are_journaled_one_row_each_with_their_index()
    {
        var plan = new PlanBuilder("j")
            .Add(Sim.Def("fan", (ctx, _) => ValueTask.FromResult<object?>(ctx.Item!.Value.GetInt32() * 10)) with
            {
                Foreach = new ForeachSpec { Items = System.Text.Json.JsonSerializer.SerializeToElement(new[] { 1, 2, 3 }) },
            })
            .Build();

        Run(plan);

        var items = Journal().Instances.Where(i => i.ItemIndex is not null).OrderBy(i => i.ItemIndex).ToList();
        Assert.Equal(["fan[0]", "fan[1]", "fan[2]"], items.Select(i => i.InstanceId));
        Assert.Equal(["10", "20", "30"], items.Select(i => StoredResult.Deserialize(i.ResultJson!).Output.GetRawText()));
        Assert.Equal(3, items.Select(i => i.DefinitionHash).Distinct().Count());
    }
}
