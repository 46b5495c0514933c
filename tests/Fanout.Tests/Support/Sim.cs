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

    /// <summary>A task whose first <paramref name="failures"/> attempts fail after <paramref name="ms"/>; later ones succeed.</summary>
    public static Func<TaskContext, CancellationToken, ValueTask<object?>> Flaky(int failures, double ms, string message = "flaky") =>
        async (ctx, ct) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(ms), ctx.Time, ct);
            return ctx.Attempt <= failures ? throw new TaskFailedException($"{message} #{ctx.Attempt}") : ctx.InstanceId;
        };

    /// <summary>A delegate task definition, for fields <see cref="PlanBuilder.Task"/> does not set (use <c>with</c>).</summary>
    public static TaskDefinition Def(string id, Func<TaskContext, CancellationToken, ValueTask<object?>> run, params string[] needs) =>
        new() { Id = id, Body = new DelegateBody(run), Needs = [.. needs] };

    /// <summary>The core's pure executors plus processes: what tests run plans with unless they say otherwise.</summary>
    public static ExecutorRegistry Executors { get; } = ExecutorRegistry.CreateDefault().With(new ProcessExecutor());

    /// <summary>Runs <paramref name="plan"/> on a virtual clock and returns the report and the events.</summary>
    public static (RunReport Report, List<RunEvent> Events) Run(PlanDefinition plan, int? concurrency = null,
        Func<RunOptions, RunOptions>? configure = null, CancellationToken cancellationToken = default, VirtualClock? clock = null)
    {
        clock ??= new VirtualClock();
        var stream = new RunEventStream();
        using var subscription = stream.Subscribe();
        var options = new RunOptions { Time = clock, Concurrency = concurrency, Seed = 1, Events = stream, RunId = "test", Executors = Executors };
        options = configure?.Invoke(options) ?? options;
        var scheduler = new Scheduler(TaskGraph.Compile(plan), options);
        var report = VirtualTime.Run(clock, () => scheduler.RunAsync(cancellationToken));
        var events = new List<RunEvent>();
        while (subscription.Reader.TryRead(out var e))
        {
            events.Add(e);
        }

        return (report, events);
    }

    /// <summary>Runs <paramref name="plan"/> on the real clock (for real processes).</summary>
    public static Task<RunReport> RunRealAsync(PlanDefinition plan, System.Text.Json.JsonElement inputs = default, CancellationToken cancellationToken = default) =>
        new Scheduler(TaskGraph.Compile(plan), new RunOptions { RunId = "real", Seed = 1, Inputs = inputs, Executors = Executors }).RunAsync(cancellationToken);

    public static TaskReport Row(this RunReport report, string id) => report.Tasks.Single(t => t.Id == id);

    /// <summary>Start offset of a task from the run's start, in ms.</summary>
    public static double StartMs(this RunReport report, string id) => (report.Row(id).StartedAt!.Value - report.StartedAt).TotalMilliseconds;

    public static double EndMs(this RunReport report, string id) => (report.Row(id).FinishedAt!.Value - report.StartedAt).TotalMilliseconds;

    /// <summary>Offset of <paramref name="at"/> from the run's start, in ms.</summary>
    public static double Ms(this RunReport report, DateTimeOffset at) => (at - report.StartedAt).TotalMilliseconds;

    /// <summary>
    /// Most instances running at once according to the <c>running</c> and final-state events, optionally only those
    /// whose id matches <paramref name="filter"/>. Events at the same instant are applied in order, as emitted.
    /// </summary>
    public static int PeakRunning(this IEnumerable<RunEvent> events, Func<string, bool>? filter = null)
    {
        var running = new HashSet<string>(StringComparer.Ordinal);
        var peak = 0;
        foreach (var e in events)
        {
            switch (e)
            {
                case TaskStateChanged { State: TaskState.Running } s when filter?.Invoke(s.TaskId) ?? true:
                    running.Add(s.TaskId);
                    peak = Math.Max(peak, running.Count);
                    break;
                case TaskStateChanged s:
                    running.Remove(s.TaskId);
                    break;
                case TaskRetrying r:
                    running.Remove(r.TaskId);
                    break;
            }
        }

        return peak;
    }
}
