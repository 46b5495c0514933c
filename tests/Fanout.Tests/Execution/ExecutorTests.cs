using System.Text.Json;
using Fanout.Tests.Support;

namespace Fanout.Tests.Execution;

/// <summary>Delegate and merge executors, custom executors, and usage accounting through the scheduler.</summary>
public class ExecutorTests
{
    private sealed class EchoExecutor : ITaskExecutor
    {
        public string Kind => "echo";

        public ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(TaskResult.FromValue(((CustomBody)context.Task.Body).Config));
    }

    [Fact]
    public void Task_of_a_kind_without_an_executor_fails_once_naming_the_kind()
    {
        var plan = new PlanBuilder("kinds")
            .Add(new TaskDefinition { Id = "t", Body = new CustomBody("ecko", default), Retry = new RetryPolicy { MaxAttempts = 3 } })
            .Build();

        var (report, _) = Sim.Run(plan, configure: o => o with { Executors = o.Executors.With(new EchoExecutor()) });

        Assert.Equal(TaskState.Failed, report.Row("t").Status);
        Assert.Equal(1, report.Row("t").Attempts);
        Assert.Equal("no executor for task kind 'ecko' (did you mean 'echo'?)", report.Row("t").Error);
    }

    [Fact]
    public void Custom_executor_is_chosen_by_kind()
    {
        var plan = new PlanBuilder("kinds")
            .Add(new TaskDefinition { Id = "t", Body = new CustomBody("echo", JsonSerializer.SerializeToElement(new { v = 7 })) })
            .Build();

        var (report, _) = Sim.Run(plan, configure: o => o with { Executors = o.Executors.With(new EchoExecutor()) });

        Assert.Equal(7, report.Row("t").Output!.Value.GetProperty("v").GetInt32());
        Assert.Equal("echo", report.Row("t").Kind);
    }

    [Fact]
    public void Delegate_output_is_serialized_and_readable_downstream()
    {
        int[]? seen = null;
        var plan = new PlanBuilder("delegates")
            .Task("a", (_, _) => ValueTask.FromResult<object?>(new[] { 1, 2, 3 }))
            .Task("b", (ctx, _) =>
            {
                seen = ctx.OutputOf<int[]>("a");
                return ValueTask.FromResult<object?>(null);
            }, "a")
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal([1, 2, 3], seen!);
        Assert.Equal("[1,2,3]", report.Row("a").Output!.Value.GetRawText());
        Assert.Equal(JsonValueKind.Null, report.Row("b").Output!.Value.ValueKind);
    }

    [Fact]
    public void Tokens_and_cost_of_every_attempt_are_accounted()
    {
        var plan = new PlanBuilder("usage")
            .Add(Sim.Def("t", (ctx, _) => ctx.Attempt == 1
                ? throw new TaskFailedException("truncated", tokens: new TokenUsage(100, 10), costUsd: 0.01m)
                : ValueTask.FromResult<object?>(new TaskResult { Output = JsonSerializer.SerializeToElement("ok"), Tokens = new TokenUsage(120, 30), CostUsd = 0.02m, Model = "m1" }))
                with { Retry = new RetryPolicy { MaxAttempts = 2, BaseDelay = TimeSpan.Zero } })
            .Task("free", (_, _) => ValueTask.FromResult<object?>(null))
            .Build();

        var (report, _) = Sim.Run(plan);

        var row = report.Row("t");
        Assert.Equal(new TokenTotals(220, 40), row.Tokens);
        Assert.Equal(0.03m, row.CostUsd);
        Assert.Equal("m1", row.Model);
        Assert.Equal("\"ok\"", row.Output!.Value.GetRawText());
        Assert.Null(report.Row("free").Tokens);
        Assert.Equal(new TokenTotals(220, 40), report.Tokens);
        Assert.Equal(0.03m, report.CostUsd);
    }

    [Fact]
    public void Merge_with_a_path_that_does_not_resolve_fails_without_retrying()
    {
        var plan = new PlanBuilder("merge")
            .Task("a", Sim.Work(10, new { x = 1 }))
            .Add(new TaskDefinition
            {
                Id = "m",
                Needs = ["a"],
                Body = new MergeBody { Value = JsonSerializer.SerializeToElement(new { y = "{{tasks.a.output.y}}" }) },
                Retry = new RetryPolicy { MaxAttempts = 3 },
            })
            .Build();

        var (report, _) = Sim.Run(plan);

        Assert.Equal(TaskState.Failed, report.Row("m").Status);
        Assert.Equal(1, report.Row("m").Attempts);
        Assert.Equal("merge: 'tasks.a.output.y' is undefined (resolved as far as 'tasks.a.output')", report.Row("m").Error);
    }

    [Fact]
    public void Task_context_carries_identity_attempt_and_previous_error()
    {
        var seen = new List<string>();
        var plan = new PlanBuilder("context")
            .Add(Sim.Def("t", (ctx, _) =>
            {
                seen.Add($"{ctx.InstanceId}#{ctx.Attempt} after '{ctx.PreviousError}' at {ctx.Time.GetUtcNow():HH:mm:ss.fff}");
                return ctx.Attempt < 2 ? throw new TaskFailedException("first try failed") : ValueTask.FromResult<object?>(null);
            }) with { Retry = new RetryPolicy { MaxAttempts = 2, BaseDelay = TimeSpan.FromSeconds(1), Jitter = false } })
            .Build();

        Sim.Run(plan);

        Assert.Equal(["t#1 after '' at 00:00:00.000", "t#2 after 'first try failed' at 00:00:01.000"], seen);
    }
}
