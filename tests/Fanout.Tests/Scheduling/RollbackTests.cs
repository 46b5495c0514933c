using Fanout.Tests.Plans;
using Fanout.Tests.Support;

namespace Fanout.Tests.Scheduling;

/// <summary><c>on_failure: rollback</c>: the compensations of the tasks that succeeded run after the run settles, in
/// reverse order of completion, as attempts of their own.</summary>
public sealed class RollbackTests
{
    private readonly List<string> _undone = [];

    private Func<TaskContext, CancellationToken, ValueTask<object?>> Undo(string id) => (_, _) =>
    {
        _undone.Add(id);
        return ValueTask.FromResult<object?>($"undid {id}");
    };

    private PlanDefinition Plan(FailurePolicy policy, bool fail = true) => new PlanBuilder("rollback")
        .Add(Sim.Def("a", Sim.Work(10)) with { Compensate = "undo_a" })
        .Add(Sim.Def("b", Sim.Work(30)) with { Compensate = "undo_b" })
        .Add(Sim.Def("c", Sim.Work(20)) with { Compensate = "undo_c" })
        .Add(Sim.Def("slow", Sim.Work(60)) with { Compensate = "undo_slow" })
        .Add(Sim.Def("boom", fail ? Sim.Fail(50, retryable: false) : Sim.Work(50)))
        .Add(Sim.Def("after_boom", Sim.Work(10), "boom") with { Compensate = "undo_after" })
        .Add(Sim.Def("undo_a", Undo("a"), "a"))
        .Add(Sim.Def("undo_b", Undo("b"), "b"))
        .Add(Sim.Def("undo_c", Undo("c"), "c"))
        .Add(Sim.Def("undo_slow", Undo("slow"), "slow"))
        .Add(Sim.Def("undo_after", Undo("after_boom"), "after_boom"))
        .Configure(p => p with { OnFailure = policy })
        .Build();

    [Fact]
    public void A_failed_run_undoes_succeeded_tasks_latest_finished_first()
    {
        var (report, _) = Sim.Run(Plan(FailurePolicy.Rollback));

        // slow was still running when boom failed: it finishes, so it is undone (first, as it finished last).
        Assert.Equal(["slow", "b", "c", "a"], _undone);
        Assert.Equal(RunStatus.Failed, report.Status);
        Assert.Equal(["slow", "b", "c", "a"], report.Compensations.Select(c => c.Task));
        Assert.All(report.Compensations, c => Assert.Equal(TaskState.Succeeded, c.Status));
    }

    [Fact]
    public void Compensations_run_one_after_another_after_everything_else_settled()
    {
        var (report, _) = Sim.Run(Plan(FailurePolicy.Rollback));

        var starts = report.Compensations.Select(c => c.StartedAt!.Value).ToList();
        Assert.All(starts, s => Assert.True(s >= report.Row("slow").FinishedAt));
        Assert.Equal(starts.Order(), starts);
    }

    [Fact]
    public void A_task_that_never_succeeded_has_nothing_to_undo()
    {
        var (report, _) = Sim.Run(Plan(FailurePolicy.Rollback));

        Assert.Equal(TaskState.Skipped, report.Row("undo_after").Status);
        Assert.Equal("nothing to undo: 'after_boom' cancelled", report.Row("undo_after").Error);
    }

    [Fact]
    public void A_run_that_succeeds_runs_no_compensation()
    {
        var (report, _) = Sim.Run(Plan(FailurePolicy.Rollback, fail: false));

        Assert.Empty(_undone);
        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal("not needed: the run did not roll back", report.Row("undo_a").Error);
    }

    [Fact]
    public void Without_the_rollback_policy_a_failed_run_keeps_its_effects()
    {
        var (report, _) = Sim.Run(Plan(FailurePolicy.Continue));

        Assert.Empty(_undone);
        Assert.Empty(report.Compensations);
    }

    [Fact]
    public void A_compensation_that_needs_another_task_is_a_plan_error()
    {
        var problem = Load.Problem("""
            name: bad-undo
            tasks:
              - { id: write, argv: [touch, out.txt], compensate: undo }
              - { id: other, argv: [echo] }
              - { id: undo, argv: [rm, out.txt], needs: [write, other] }
            """);

        Assert.Contains("task 'undo' compensates 'write' and runs only on rollback, so it may need only 'write' (not 'other')", problem.Message);
    }

    [Fact]
    public void A_compensate_command_becomes_a_process_task_that_needs_the_task()
    {
        var plan = Load.Yaml("""
            name: undo-command
            on_failure: rollback
            tasks:
              - { id: write, argv: [touch, out.txt], writes: out.txt, compensate: [rm, -f, out.txt] }
            """);

        var undo = Assert.Single(plan.Tasks, t => t.Id == "write-undo");
        Assert.Equal(["rm", "-f", "out.txt"], ((ProcessBody)undo.Body).Argv.ToArray());
        Assert.Equal(["write"], undo.Needs.ToArray());
        Assert.Equal("write-undo", plan.Tasks[0].Compensate);
        Assert.Equal(FailurePolicy.Rollback, plan.OnFailure);
    }
}

/// <summary>report.html shows what footprints ordered and what a rollback undid.</summary>
public sealed class FootprintReportTests
{
    [Fact]
    public void The_html_report_lists_inferred_edges_and_what_was_rolled_back()
    {
        var report = new RunReport
        {
            RunId = "r",
            Plan = "p",
            InferredEdges = [new InferredEdgeReport { From = "write", To = "read", Reason = "read-after-write: 'read' reads a.txt, which 'write' writes", HeldMs = 30 }],
            Compensations = [new CompensationReport { Task = "write", Compensation = "write-undo", Status = TaskState.Succeeded }],
        };

        var html = HtmlReport.Render(report);

        Assert.Contains("read-after-write: &#39;read&#39; reads a.txt", html);
        Assert.Contains("<td>write</td><td>write-undo</td><td>succeeded</td>", html);
    }
}
