using System.Collections.Immutable;

namespace Fanout.Storage;

/// <summary>Run statuses as the journal writes them: a final <see cref="RunStatus"/>, or <see cref="Running"/>.</summary>
public static class RunStatuses
{
    /// <summary>Started and not finished (or interrupted: a crashed run stays <c>running</c> until resumed); the word of
    /// <see cref="TaskState.Running"/>, since a run in progress is running in the same sense a task is.</summary>
    public static string Running { get; } = TaskState.Running.ToWire();

    /// <summary>The journal's word for a final status: the report's (<c>succeeded</c>, <c>budget_exhausted</c>…).</summary>
    public static string Of(RunStatus status) => status.ToWire();

    /// <summary>The final status a journaled word names, or null for <see cref="Running"/> (or a word this version does
    /// not know).</summary>
    public static RunStatus? Parse(string status) => WireName<RunStatus>.TryParse(status, out var parsed) ? parsed : null;
}

/// <summary>One run. Key: <see cref="RunId"/>.</summary>
public sealed record RunRecord
{
    /// <summary>Run id.</summary>
    public required string RunId { get; init; }

    /// <summary>The plan's name.</summary>
    public required string Plan { get; init; }

    /// <summary>Hash of the whole plan definition (see <see cref="DefinitionHashes"/>).</summary>
    public string? PlanHash { get; init; }

    /// <summary>The plan file's text when the run started, so a run can be resumed or shown without the file.</summary>
    public string? PlanText { get; init; }

    /// <summary>Where the plan was read from, when it was a file.</summary>
    public string? PlanPath { get; init; }

    /// <summary>Resolved inputs as JSON text.</summary>
    public string? InputsJson { get; init; }

    /// <summary><see cref="RunStatuses.Running"/> or a final status of the report (<c>succeeded</c>, <c>failed</c>…).</summary>
    public required string Status { get; init; }

    /// <summary>When the run first started.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>When it last finished; null while running.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Total cost recorded when it finished.</summary>
    public decimal? CostUsd { get; init; }
}

/// <summary>One task instance of a run: a task, a fan-out group, or one item (<c>id[n]</c>). Key: run, instance.</summary>
public sealed record InstanceRecord
{
    /// <summary>Run id.</summary>
    public required string RunId { get; init; }

    /// <summary>Instance id: the task id, or <c>id[n]</c> for a fan-out item.</summary>
    public required string InstanceId { get; init; }

    /// <summary>The task id.</summary>
    public required string TaskId { get; init; }

    /// <summary>Index within the fan-out, for an item.</summary>
    public int? ItemIndex { get; init; }

    /// <summary>Merkle hash of the task's definition and its dependencies' (see <see cref="DefinitionHashes"/>); a
    /// succeeded instance is reused on resume only when this still matches.</summary>
    public required string DefinitionHash { get; init; }

    /// <summary>Current state.</summary>
    public TaskState State { get; init; }

    /// <summary>Why it failed, was skipped or cancelled.</summary>
    public string? Error { get; init; }

    /// <summary>The serialized result of a succeeded instance (output, tokens, cost, provider, model, key alias,
    /// details): see <see cref="StoredResult"/>. Large ones are stored by content hash (see <see cref="OutputBlobs"/>).</summary>
    public string? ResultJson { get; init; }

    /// <summary>When this row was last written.</summary>
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>One attempt of an instance. Key: run, instance, attempt.</summary>
public sealed record AttemptRecord
{
    /// <summary>Run id.</summary>
    public required string RunId { get; init; }

    /// <summary>Instance id.</summary>
    public required string InstanceId { get; init; }

    /// <summary>1-based attempt number, unique within the instance across resumes.</summary>
    public int Attempt { get; init; }

    /// <summary>Start.</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>End; null while running (or lost before the end was written).</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>How it ended, or <see cref="AttemptOutcome.Running"/>.</summary>
    public required AttemptOutcome Outcome { get; init; }

    /// <summary>The error of a failed attempt.</summary>
    public string? Error { get; init; }

    /// <summary>Tokens used.</summary>
    public TokenUsage? Tokens { get; init; }

    /// <summary>Cost.</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>Alias of the provider key used — never the key.</summary>
    public string? KeyAlias { get; init; }

    /// <summary>Whether the result came from the result cache.</summary>
    public bool CacheHit { get; init; }
}

/// <summary>One event of a run. Appended, never updated.</summary>
public sealed record EventRecord
{
    /// <summary>Run id.</summary>
    public required string RunId { get; init; }

    /// <summary>When it happened.</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>Event type (<c>task_state</c>, <c>run_started</c>…).</summary>
    public required RunEventKind Type { get; init; }

    /// <summary>The instance it concerns, if any.</summary>
    public string? InstanceId { get; init; }

    /// <summary>Details as JSON text.</summary>
    public string? DataJson { get; init; }
}

/// <summary>A reusable result. Key: <see cref="Key"/> (see <see cref="ICacheableExecutor"/>).</summary>
public sealed record CacheEntry
{
    /// <summary>The cache key: a hash of everything that determines the result.</summary>
    public required string Key { get; init; }

    /// <summary>The serialized result (see <see cref="StoredResult"/>).</summary>
    public required string ResultJson { get; init; }

    /// <summary>What producing it cost (what a hit saves).</summary>
    public decimal? CostUsd { get; init; }

    /// <summary>Tokens producing it used.</summary>
    public TokenUsage? Tokens { get; init; }

    /// <summary>When it was stored.</summary>
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>Rows to write in one transaction.</summary>
public sealed class JournalBatch
{
    /// <summary>Run rows to upsert.</summary>
    public List<RunRecord> Runs { get; } = [];

    /// <summary>Instance rows to upsert.</summary>
    public List<InstanceRecord> Instances { get; } = [];

    /// <summary>Attempt rows to upsert.</summary>
    public List<AttemptRecord> Attempts { get; } = [];

    /// <summary>Events to append.</summary>
    public List<EventRecord> Events { get; } = [];

    /// <summary>Cache entries to upsert.</summary>
    public List<CacheEntry> Cache { get; } = [];

    /// <summary>The lease the batch is written under: the store applies it only while that lease's epoch is still its
    /// run's (see <see cref="RunLease"/>). Null writes without that check, for a store nobody else drives runs in.
    /// Kept by <see cref="Clear"/>.</summary>
    public RunLease? Lease { get; set; }

    /// <summary>Whether there is nothing to write.</summary>
    public bool IsEmpty => Runs.Count + Instances.Count + Attempts.Count + Events.Count + Cache.Count == 0;

    /// <summary>Empties the batch for reuse.</summary>
    public void Clear()
    {
        Runs.Clear();
        Instances.Clear();
        Attempts.Clear();
        Events.Clear();
        Cache.Clear();
    }
}

/// <summary>Which runs <see cref="IRunStore.ListRunsAsync"/> returns.</summary>
public sealed record RunQuery
{
    /// <summary>Only runs of this plan name.</summary>
    public string? Plan { get; init; }

    /// <summary>At most this many.</summary>
    public int Limit { get; init; } = 50;
}

/// <summary>Everything journaled for one run.</summary>
public sealed record RunJournal
{
    /// <summary>The run.</summary>
    public required RunRecord Run { get; init; }

    /// <summary>Its instances, in no particular order.</summary>
    public ImmutableArray<InstanceRecord> Instances { get; init; } = [];

    /// <summary>Its attempts, ordered by instance then attempt number.</summary>
    public ImmutableArray<AttemptRecord> Attempts { get; init; } = [];
}
