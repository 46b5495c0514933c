using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Fanout;

/// <summary>Token counts as reported in run.json.</summary>
/// <param name="Input">Prompt tokens.</param>
/// <param name="Output">Completion tokens.</param>
public sealed record TokenTotals(long Input, long Output);

/// <summary>One attempt of a task.</summary>
public sealed record AttemptReport
{
    /// <summary>1-based attempt number.</summary>
    public int Attempt { get; init; }

    /// <summary>Start time.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>End time.</summary>
    public DateTimeOffset FinishedAt { get; init; }

    /// <summary>How it ended (<c>lost</c> when its process died while it ran).</summary>
    public required AttemptOutcome Outcome { get; init; }

    /// <summary>The error of a failed attempt.</summary>
    public string? Error { get; init; }
}

/// <summary>One compensation a rollback ran.</summary>
public sealed record CompensationReport
{
    /// <summary>The task that was undone.</summary>
    public required string Task { get; init; }

    /// <summary>The compensation task that undid it.</summary>
    public required string Compensation { get; init; }

    /// <summary>How the compensation ended (<c>succeeded</c>, or <c>failed</c> with <see cref="Error"/>).</summary>
    public TaskState Status { get; init; }

    /// <summary>Why the compensation failed.</summary>
    public string? Error { get; init; }

    /// <summary>When it started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it finished.</summary>
    public DateTimeOffset? FinishedAt { get; init; }
}

/// <summary>An ordering edge inferred from footprints, and what it cost.</summary>
public sealed record InferredEdgeReport
{
    /// <summary>The earlier task (or fan-out).</summary>
    public required string From { get; init; }

    /// <summary>The later task, which waited for <see cref="From"/>.</summary>
    public required string To { get; init; }

    /// <summary>Why: <c>read-after-write: 'b' reads out.txt, which 'a' writes</c>.</summary>
    public required string Reason { get; init; }

    /// <summary>How long the edge held <see cref="To"/> back: from when its other dependencies had settled (or the run
    /// started) to when <see cref="From"/> settled; 0 when something else held it longer.</summary>
    public double HeldMs { get; init; }
}

/// <summary>How busy a named pool was.</summary>
public sealed record PoolUtilisation
{
    /// <summary>Pool name.</summary>
    public required string Pool { get; init; }

    /// <summary>Its size (slots).</summary>
    public int Size { get; init; }

    /// <summary>Sum of the time attempts held a slot.</summary>
    public double BusyMs { get; init; }

    /// <summary>busy / (size × makespan): 1 means every slot was busy the whole run.</summary>
    public double Utilisation { get; init; }
}

/// <summary>What the layers under the executors saw that no attempt did: a key pool re-routing a request or waiting
/// out a 429 never fails the attempt, yet the run met that limit. Read once, when the report is built.</summary>
public sealed record ProviderFacts
{
    /// <summary>429 responses absorbed below the attempts (added to <see cref="RunReport.RateLimited"/>).</summary>
    public int RateLimited { get; init; }

    /// <summary>Per key pool figures, as JSON (see <see cref="RunReport.Pools"/>); null when there are none.</summary>
    public JsonElement? Pools { get; init; }
}

/// <summary>One row of the report: a task, or one item of a fan-out (<c>id[n]</c>).</summary>
public sealed record TaskReport
{
    /// <summary>Instance id.</summary>
    public required string Id { get; init; }

    /// <summary>Task kind.</summary>
    public required string Kind { get; init; }

    /// <summary>Final state (lower case).</summary>
    public TaskState Status { get; init; }

    /// <summary>Description from the plan.</summary>
    public string? Description { get; init; }

    /// <summary>The fan-out this row is an item of.</summary>
    public string? Parent { get; init; }

    /// <summary>Index within the fan-out.</summary>
    public int? Index { get; init; }

    /// <summary>For a fan-out row: how many items it expanded to.</summary>
    public int? Items { get; init; }

    /// <summary>Ids this task depends on.</summary>
    public ImmutableArray<string> Needs { get; init; } = [];

    /// <summary>Attempts made.</summary>
    public int Attempts { get; init; }

    /// <summary>When it became ready.</summary>
    public DateTimeOffset? QueuedAt { get; init; }

    /// <summary>When its first attempt started.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it settled.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>From first start to finish, including retries' backoff.</summary>
    public double DurationMs { get; init; }

    /// <summary>Time spent ready but held back by concurrency limits.</summary>
    public double WaitMs { get; init; }

    /// <summary>Provider that served it.</summary>
    public string? Provider { get; init; }

    /// <summary>Model that served it.</summary>
    public string? Model { get; init; }

    /// <summary>Key alias (never the key).</summary>
    public string? Key { get; init; }

    /// <summary>Tokens over all attempts.</summary>
    public TokenTotals? Tokens { get; init; }

    /// <summary>Cost over all attempts.</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>True when its result came from the result cache (absent otherwise).</summary>
    public bool? CacheHit { get; init; }

    /// <summary>For a cache hit: what producing the result originally cost.</summary>
    public decimal? CostSavedUsd { get; init; }

    /// <summary>Why it failed, was skipped or was cancelled.</summary>
    public string? Error { get; init; }

    /// <summary>The output.</summary>
    public JsonElement? Output { get; init; }

    /// <summary>Kind-specific facts (exit code and stderr of a process, finish reason of a prompt).</summary>
    public JsonElement? Details { get; init; }

    /// <summary>Files it wrote (generated images…), relative to the run's directory; absent when none.</summary>
    public ImmutableArray<string>? Artifacts { get; init; }

    /// <summary>Whether it is on the critical path.</summary>
    public bool Critical { get; init; }

    /// <summary>Every attempt.</summary>
    public ImmutableArray<AttemptReport> AttemptLog { get; init; } = [];
}

/// <summary>
/// The record of one run (run.json; also what the API returns). Field names and meanings are shared by the whole
/// project (docs/architecture.md): speedup = sequential/makespan; lower bound = max(critical path, work/concurrency,
/// work in each pool/pool size); efficiency = lower bound/makespan.
/// </summary>
public sealed record RunReport
{
    /// <summary>Run id.</summary>
    public required string RunId { get; init; }

    /// <summary>Plan name.</summary>
    public required string Plan { get; init; }

    /// <summary>Final status.</summary>
    public RunStatus Status { get; init; }

    /// <summary>Start.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>End.</summary>
    public DateTimeOffset FinishedAt { get; init; }

    /// <summary>Wall time of the run.</summary>
    public double MakespanMs { get; init; }

    /// <summary>Sum of task durations: what running them one after another would take.</summary>
    public double SequentialMs { get; init; }

    /// <summary>sequential_ms / makespan_ms.</summary>
    public double Speedup { get; init; }

    /// <summary>The longest chain of dependent tasks by duration.</summary>
    public ImmutableArray<string> CriticalPath { get; init; } = [];

    /// <summary>Its length.</summary>
    public double CriticalPathMs { get; init; }

    /// <summary>No schedule could finish faster than this.</summary>
    public double LowerBoundMs { get; init; }

    /// <summary>lower_bound_ms / makespan_ms (1 is perfect).</summary>
    public double Efficiency { get; init; }

    /// <summary>The global concurrency limit used.</summary>
    public int Concurrency { get; init; }

    /// <summary>Most tasks running at once.</summary>
    public int PeakConcurrency { get; init; }

    /// <summary>Token totals.</summary>
    public TokenTotals Tokens { get; init; } = new(0, 0);

    /// <summary>Total cost.</summary>
    public decimal CostUsd { get; init; }

    /// <summary>Tasks whose result came from the result cache.</summary>
    public int CacheHits { get; init; }

    /// <summary>What the cache hits would have cost to produce again.</summary>
    public decimal CostSavedUsd { get; init; }

    /// <summary>The budget the run had (<c>budget_usd</c>), when it had one.</summary>
    public decimal? BudgetUsd { get; init; }

    /// <summary>Retries over all tasks.</summary>
    public int Retries { get; init; }

    /// <summary>429 responses seen.</summary>
    public int RateLimited { get; init; }

    /// <summary>What a rollback undid (<c>on_failure: rollback</c>), in the order the compensations ran: the tasks that
    /// had succeeded, latest-finished first. Empty when nothing was rolled back.</summary>
    public ImmutableArray<CompensationReport> Compensations { get; init; } = [];

    /// <summary>Edges the graph compiler added because footprints conflict, and how long each held its later task
    /// back (see <see cref="InferredEdgeReport"/>). Empty when the plan declares no conflicting footprints.</summary>
    public ImmutableArray<InferredEdgeReport> InferredEdges { get; init; } = [];

    /// <summary>Per named pool: its size, the time its slots were busy and its utilisation over the run.</summary>
    public ImmutableArray<PoolUtilisation> PoolUtilisation { get; init; } = [];

    /// <summary>Counts by final state.</summary>
    public ImmutableDictionary<string, int> Counts { get; init; } = ImmutableDictionary<string, int>.Empty;

    /// <summary>Every task and fan-out item.</summary>
    public ImmutableArray<TaskReport> Tasks { get; init; } = [];

    /// <summary>Key pools' figures (per key: alias, requests, 429s…), in the provider layer's shape; absent when the
    /// run used none (see <see cref="ProviderFacts"/>).</summary>
    public JsonElement? Pools { get; init; }

    /// <summary>Serializer settings for run.json: snake_case, lower-case enums, indented.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        // The report and the events are source-generated; anything else written with these options (a provider
        // layer's pool figures) falls back to reflection.
        TypeInfoResolver = JsonTypeInfoResolver.Combine(ReportJson.Default, new DefaultJsonTypeInfoResolver()),
    };

    /// <summary>The same on one line: how the journal stores an event (one row each, several per task). Declared after
    /// <see cref="JsonOptions"/>, which it copies.</summary>
    internal static JsonSerializerOptions EventJsonOptions { get; } = new(JsonOptions) { WriteIndented = false };

    private static JsonTypeInfo<RunReport> Info => (JsonTypeInfo<RunReport>)JsonOptions.GetTypeInfo(typeof(RunReport));

    /// <summary>run.json text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Info);

    /// <summary>Reads run.json text.</summary>
    public static RunReport FromJson(string json) =>
        JsonSerializer.Deserialize(json, Info) ?? throw new JsonException("empty report");
}
