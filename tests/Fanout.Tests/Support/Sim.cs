using Fanout.Time;

namespace Fanout.Tests.Support;

/// <summary>Builders for delegate tasks that take a known amount of (virtual) time.</summary>
internal static class Sim
{
    /// <summary>A task that waits <paramref name="ms"/> on the run's clock, then returns its id.</summary>
    public static Func<TaskContext, CancellationToken, ValueTask<object?>> Work(double ms, object? result = null) =>
        async (ctx, ct) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(ms), ctx.Time, ct);
            return result ?? ctx.InstanceId;
        };

    /// <summary>A task that waits, then throws.</summary>
    public static Func<TaskContext, CancellationToken, ValueTask<object?>> Fail(double ms, string message = "boom", bool retryable = true) =>
        async (ctx, ct) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(ms), ctx.Time, ct);
            throw new TaskFailedException(message, retryable);
        };

    /// <summary>Runs <paramref name="plan"/> on a manual clock and returns the report and the events.</summary>
    public static (RunReport Report, List<RunEvent> Events) Run(PlanDefinition plan, int? concurrency = null,
        Func<RunOptions, RunOptions>? configure = null, CancellationToken cancellationToken = default, ManualTimeProvider? clock = null)
    {
        clock ??= new ManualTimeProvider();
        var events = new List<RunEvent>();
        var options = new RunOptions { Time = clock, Concurrency = concurrency, Seed = 1, OnEvent = events.Add, RunId = "test" };
        options = configure?.Invoke(options) ?? options;
        var scheduler = new Scheduler(TaskGraph.Compile(plan), options);
        var report = VirtualTime.Run(clock, () => scheduler.RunAsync(cancellationToken));
        return (report, events);
    }

    public static TaskReport Row(this RunReport report, string id) => report.Tasks.Single(t => t.Id == id);

    /// <summary>Start offset of a task from the run's start, in ms.</summary>
    public static double StartMs(this RunReport report, string id) => (report.Row(id).StartedAt!.Value - report.StartedAt).TotalMilliseconds;

    public static double EndMs(this RunReport report, string id) => (report.Row(id).FinishedAt!.Value - report.StartedAt).TotalMilliseconds;
}
