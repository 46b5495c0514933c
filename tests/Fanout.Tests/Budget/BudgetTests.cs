using System.Text.Json;
using Fanout.Tests.Support;

namespace Fanout.Tests.Budget;

/// <summary>
/// <c>budget_usd</c> in virtual time: once the run's cost reaches the budget nothing new starts, running attempts
/// finish, the rest is cancelled with "budget exhausted" and the run ends <c>budget_exhausted</c>.
/// </summary>
public class BudgetTests
{
    /// <summary>A task that takes <paramref name="ms"/> of virtual time and costs <paramref name="usd"/> (or fails after costing it).</summary>
    private static TaskDefinition Paid(string id, double ms, decimal usd, bool fail = false, params string[] needs) => new()
    {
        Id = id,
        Body = new CustomBody(PaidExecutor.Name, JsonSerializer.SerializeToElement(new { ms, usd, fail })),
        Needs = [.. needs],
    };

    private static (RunReport Report, List<RunEvent> Events) Run(PlanDefinition plan, int concurrency, decimal? budget = null) =>
        Sim.Run(plan, concurrency, o => o with { Executors = o.Executors.With(new PaidExecutor()), BudgetUsd = budget });

    private static PlanDefinition Plan(decimal? budget, params TaskDefinition[] tasks) =>
        new() { Name = "budget", BudgetUsd = budget, Tasks = [.. tasks] };

    [Fact]
    public void Reaching_the_budget_stops_dispatching_and_cancels_what_was_waiting()
    {
        // One at a time, $1 each: after three tasks $3 ≥ $2.50, so d and e never start.
        var plan = Plan(2.5m, Paid("a", 100, 1), Paid("b", 100, 1), Paid("c", 100, 1), Paid("d", 100, 1), Paid("e", 100, 1));

        var (report, _) = Run(plan, concurrency: 1);

        Assert.Equal(RunStatus.BudgetExhausted, report.Status);
        Assert.Equal(3m, report.CostUsd);
        Assert.Equal(3, report.Tasks.Count(t => t.Status == TaskState.Succeeded));
        var cancelled = report.Tasks.Where(t => t.Status == TaskState.Cancelled).ToList();
        Assert.Equal(2, cancelled.Count);
        Assert.All(cancelled, t => Assert.Equal("budget exhausted", t.Error));
        Assert.All(cancelled, t => Assert.Equal(0, t.Attempts));
        Assert.Equal(2.5m, report.BudgetUsd);
    }

    [Fact]
    public void Attempts_running_when_the_budget_runs_out_still_finish()
    {
        // a ($5) ends at 100 ms and exhausts the budget while b and c are running; they finish, d waits behind them and never starts.
        var plan = Plan(5m, Paid("a", 100, 5), Paid("b", 300, 1), Paid("c", 500, 1), Paid("d", 100, 1, needs: ["b"]));

        var (report, _) = Run(plan, concurrency: 3);

        Assert.Equal(TaskState.Succeeded, report.Row("b").Status);
        Assert.Equal(TaskState.Succeeded, report.Row("c").Status);
        Assert.Equal(500, report.EndMs("c"));
        Assert.Equal(TaskState.Cancelled, report.Row("d").Status);
        Assert.Equal("budget exhausted", report.Row("d").Error);
        Assert.Equal(7m, report.CostUsd);
        Assert.Equal(RunStatus.BudgetExhausted, report.Status);
    }

    [Fact]
    public void A_run_that_stays_within_its_budget_succeeds()
    {
        var plan = Plan(10m, Paid("a", 100, 1), Paid("b", 100, 1, needs: ["a"]));

        var (report, _) = Run(plan, concurrency: 2);

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(2m, report.CostUsd);
    }

    [Fact]
    public void Reaching_the_budget_with_the_last_task_is_still_a_success()
    {
        var plan = Plan(2m, Paid("a", 100, 1), Paid("b", 100, 1, needs: ["a"]));

        var (report, _) = Run(plan, concurrency: 1);

        Assert.Equal(RunStatus.Succeeded, report.Status);
    }

    [Fact]
    public void Cost_of_failed_attempts_counts_and_their_retries_are_not_started()
    {
        var plan = Plan(1m, Paid("a", 100, 1, fail: true) with { Retry = new RetryPolicy { MaxAttempts = 5, BaseDelay = TimeSpan.FromMilliseconds(10) } });

        var (report, _) = Run(plan, concurrency: 1);

        var row = report.Row("a");
        Assert.Equal(1, row.Attempts);
        Assert.Equal(TaskState.Cancelled, row.Status);
        Assert.Equal("budget exhausted", row.Error);
        Assert.Equal(RunStatus.BudgetExhausted, report.Status);
    }

    [Fact]
    public void Run_option_budget_overrides_the_plan_budget()
    {
        var plan = Plan(100m, Paid("a", 100, 1), Paid("b", 100, 1, needs: ["a"]));

        var (report, _) = Run(plan, concurrency: 1, budget: 0.5m);

        Assert.Equal(RunStatus.BudgetExhausted, report.Status);
        Assert.Equal(TaskState.Cancelled, report.Row("b").Status);
        Assert.Equal(0.5m, report.BudgetUsd);
    }

    [Fact]
    public void Fan_out_items_not_started_are_cancelled_and_the_fan_out_with_them()
    {
        var items = new TaskDefinition
        {
            Id = "items",
            Body = new CustomBody(PaidExecutor.Name, JsonSerializer.SerializeToElement(new { ms = 100, usd = 1, fail = false })),
            Foreach = new ForeachSpec { Items = JsonSerializer.SerializeToElement(new[] { 1, 2, 3, 4 }) },
        };

        var (report, _) = Run(Plan(2m, items), concurrency: 2);

        Assert.Equal(2, report.Tasks.Count(t => t.Parent == "items" && t.Status == TaskState.Succeeded));
        Assert.Equal(2, report.Tasks.Count(t => t.Parent == "items" && t.Status == TaskState.Cancelled));
        Assert.Equal(TaskState.Cancelled, report.Row("items").Status);
        Assert.Equal("budget exhausted", report.Row("items").Error);
    }

    [Fact]
    public void Run_finished_event_carries_the_budget_status()
    {
        var (_, events) = Run(Plan(0m, Paid("a", 100, 1)), concurrency: 1);

        Assert.Equal(RunStatus.BudgetExhausted, events.OfType<RunFinished>().Single().Status);
    }

    [Fact]
    public void Run_json_writes_the_status_in_snake_case_with_the_budget()
    {
        var (report, _) = Run(Plan(0m, Paid("a", 100, 1)), concurrency: 1);

        using var json = JsonDocument.Parse(report.ToJson());
        Assert.Equal("budget_exhausted", json.RootElement.GetProperty("status").GetString());
        Assert.Equal(0m, json.RootElement.GetProperty("budget_usd").GetDecimal());
        Assert.Equal(RunStatus.BudgetExhausted, RunReport.FromJson(report.ToJson()).Status);
    }

    private sealed class PaidExecutor : ITaskExecutor
    {
        public const string Name = "paid";

        public string Kind => Name;

        public async ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken)
        {
            var config = ((CustomBody)context.Task.Body).Config;
            await Task.Delay(TimeSpan.FromMilliseconds(config.GetProperty("ms").GetDouble()), context.Time, cancellationToken);
            var usd = config.GetProperty("usd").GetDecimal();
            return config.GetProperty("fail").GetBoolean()
                ? throw new TaskFailedException("provider hiccup", retryable: true, costUsd: usd)
                : new TaskResult { Output = JsonSerializer.SerializeToElement(context.InstanceId), CostUsd = usd };
        }
    }
}
