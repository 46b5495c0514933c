using System.Text.Json;
using Fanout.Tests.Support;

namespace Fanout.Tests.Reporting;

/// <summary>
/// A small plan run for real in virtual time, covering what the report must show: a fan-out, a retried task, a
/// failure, a skipped dependent, an output with markup in it, ids with '-', and a large output.
/// </summary>
internal static class SampleRun
{
    public const string ScriptOutput = "<script>alert('owned')</script>";

    private static readonly Lazy<RunReport> Cached = new(() => Sim.Run(Plan(), concurrency: 4).Report);

    public static RunReport Report => Cached.Value;

    public static PlanDefinition Plan() => new PlanBuilder("report-sample")
        .Task("plan", Sim.Work(100, new[] { "home", "about", "blog" }))
        .Add(new TaskDefinition
        {
            Id = "pages",
            Needs = ["plan"],
            Body = new DelegateBody(async (ctx, ct) =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100 * (ctx.ItemIndex!.Value + 1)), ctx.Time, ct);
                return new { page = ctx.Item!.Value.GetString(), words = 300 };
            }),
            Foreach = new ForeachSpec { Path = "tasks.plan.output" },
        })
        .Add(new TaskDefinition
        {
            Id = "flaky-fetch",
            Needs = ["plan"],
            Retry = new RetryPolicy { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(50), Jitter = false },
            Body = new DelegateBody(async (ctx, ct) =>
            {
                await Task.Delay(TimeSpan.FromMilliseconds(40), ctx.Time, ct);
                return ctx.Attempt == 1 ? throw new TaskFailedException("503 from upstream", retryable: true) : "fetched";
            }),
        })
        .Task("inject", Sim.Work(10, new { html = ScriptOutput }))
        .Task("big-output", Sim.Work(10, new string('x', 10_000)))
        .Add(new TaskDefinition
        {
            Id = "broken",
            Needs = ["plan"],
            Body = new DelegateBody(Sim.Fail(30, "disk <full> & \"quoted\"", retryable: false)),
        })
        .Task("after-broken", Sim.Work(10), "broken")
        .Task("summary", Sim.Work(20), "pages", "flaky-fetch")
        .Build();

    public static TaskGraph Graph() => TaskGraph.Compile(Plan());

    /// <summary>The report with <paramref name="change"/> applied to the row <paramref name="id"/>.</summary>
    public static RunReport WithRow(string id, Func<TaskReport, TaskReport> change) =>
        Report with { Tasks = [.. Report.Tasks.Select(t => t.Id == id ? change(t) : t)] };

    public static JsonElement Json(object value) => JsonSerializer.SerializeToElement(value);
}
