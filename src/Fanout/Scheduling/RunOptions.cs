using System.Collections.Immutable;
using System.Text.Json;

namespace Fanout;

/// <summary>How to run a compiled graph.</summary>
public sealed record RunOptions
{
    /// <summary>Default global concurrency when neither the plan nor the caller sets one.</summary>
    public const int DefaultConcurrency = 16;

    /// <summary>Run id; a sortable time-based id by default.</summary>
    public string? RunId { get; init; }

    /// <summary>Resolved plan inputs (see <see cref="InputResolver"/>).</summary>
    public JsonElement Inputs { get; init; }

    /// <summary>Global concurrency limit; null takes the plan's, else <see cref="DefaultConcurrencyFor"/> the providers' limits.</summary>
    public int? Concurrency { get; init; }

    /// <summary>The providers' keys and their declared limits (the host sets them from the provider configuration):
    /// the report's lower bound holds the run's requests against them, and the default concurrency leaves room for them.</summary>
    public ImmutableArray<ProviderLimits> ProviderLimits { get; init; } = [];

    /// <summary>Overrides the plan's failure policy.</summary>
    public FailurePolicy? OnFailure { get; init; }

    /// <summary>The clock; a manual one in tests and estimates.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Seed for retry jitter; null for a random seed.</summary>
    public int? Seed { get; init; }

    /// <summary>Executors by kind (see <see cref="ExecutorRegistry"/>).</summary>
    public ExecutorRegistry Executors { get; init; } = ExecutorRegistry.CreateDefault();

    /// <summary>Duration estimate per task for critical-path priority; null uses the task's <c>estimate</c> or a per-kind default.</summary>
    public Func<TaskDefinition, TimeSpan>? Estimator { get; init; }

    /// <summary>Where the run publishes its events (subscribe to read them; see <see cref="RunEventStream"/>). Null
    /// publishes nothing, which is the fastest; the journal, when there is one, receives every event either way.</summary>
    public RunEventStream? Events { get; init; }

    /// <summary>What the provider layer saw beneath the attempts (key pools), read once when the run ends so the report
    /// is built in one place; null when there is no such layer.</summary>
    public Func<ProviderFacts>? ProviderFacts { get; init; }

    /// <summary>Overrides the plan's <c>budget_usd</c>: once the run's cost reaches it, nothing new starts.</summary>
    public decimal? BudgetUsd { get; init; }

    /// <summary>Where tasks write artifacts (a host sets it; the core itself never touches the file system).</summary>
    public string OutputDirectory { get; init; } = "";

    /// <summary>The journal: every state transition is written here before the scheduler acts on it. Null runs
    /// without one (nothing durable, nothing resumable), which is the fastest.</summary>
    public Fanout.Storage.IRunStore? Store { get; init; }

    /// <summary>This run's owner lease (see <see cref="Fanout.Storage.RunOwnership"/>), taken before the journal to
    /// resume was read: every batch is written under its epoch, and when another owner takes the run (a write is
    /// refused, or a renewal finds the lease gone) the run stops, waits for its attempts to end and throws
    /// <see cref="Fanout.Storage.RunOwnershipLostException"/> without writing anything more. Null writes unfenced, for a
    /// store nobody else drives runs in.</summary>
    public Fanout.Storage.RunOwnership? Ownership { get; init; }

    /// <summary>An interrupted run's journal to continue (its run id is reused): succeeded instances whose definition
    /// hash still matches are restored instead of run, and attempts it left running are recorded as lost.</summary>
    public Fanout.Storage.RunJournal? Resume { get; init; }

    /// <summary>The plan file's text, journaled with the run so it can be resumed and shown without the file.</summary>
    public string? PlanText { get; init; }

    /// <summary>The plan file's path, journaled with the run.</summary>
    public string? PlanPath { get; init; }

    /// <summary>The concurrency a run gets when nobody sets one: <see cref="DefaultConcurrency"/>, or more when the
    /// providers' keys may have more requests going at once (a key's burst is never capped by the run's default).</summary>
    public static int DefaultConcurrencyFor(ImmutableArray<ProviderLimits> providers) =>
        Math.Max(DefaultConcurrency, providers.IsDefaultOrEmpty ? 0 : providers.Sum(p => p.RequestsAtOnce));

    /// <summary>Per-kind default estimates used when a task has none.</summary>
    public static TimeSpan DefaultEstimate(TaskDefinition task)
    {
        ArgumentNullException.ThrowIfNull(task);
        return task.Estimate ?? task.Kind switch
        {
            "prompt" => TimeSpan.FromSeconds(5),
            "image" => TimeSpan.FromSeconds(10),
            "process" => TimeSpan.FromSeconds(10),
            "merge" => TimeSpan.FromMilliseconds(1),
            _ => TimeSpan.FromSeconds(1),
        };
    }

    /// <summary>A new run id: UTC time then random suffix, so ids sort by start time.</summary>
    public static string NewRunId(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return $"{time.GetUtcNow():yyyyMMdd-HHmmss}-{Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().AsSpan(0, 3))}";
    }
}
