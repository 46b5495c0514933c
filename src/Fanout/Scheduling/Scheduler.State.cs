using System.Text.Json;

namespace Fanout;

public sealed partial class Scheduler
{
    private abstract record Message;

    private sealed record AttemptFinished(int Instance, int Attempt, DateTimeOffset At, TaskResult? Result, Exception? Error, AttemptOutcome Outcome) : Message;

    private sealed record RetryDue(int Instance) : Message;

    private sealed record CancelRequested : Message;

    private sealed record OwnershipLost : Message;
}

/// <summary>
/// The scheduler's record of one task instance: a task, a fan-out group (which never runs itself) or one item of a
/// fan-out. Only the scheduler loop touches it. Public so that another engine (the distributed PostgreSQL workers)
/// can describe its instances the same way and get the same report from <see cref="ReportBuilder"/>.
/// </summary>
/// <param name="node">The task's node in the graph.</param>
/// <param name="id">The instance id: the task id, or <c>task[index]</c> for a fan-out item.</param>
public sealed class Instance(int node, string id)
{
    /// <summary>The task's node in the graph.</summary>
    public int Node { get; } = node;

    /// <summary>The instance id: the task id, or <c>task[index]</c> for a fan-out item.</summary>
    public string Id { get; } = id;

    /// <summary>Where the instance is in its life.</summary>
    public TaskState State { get; set; }

    /// <summary>Attempts made, the current one included.</summary>
    public int Attempts { get; set; }

    /// <summary>When its dependencies had all settled and it was queued.</summary>
    public DateTimeOffset? ReadyAt { get; set; }

    /// <summary>When its first attempt started.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    internal DateTimeOffset? AttemptStartedAt { get; set; }

    /// <summary>When it settled.</summary>
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Time it spent ready but waiting for a slot, in milliseconds.</summary>
    public double WaitMs { get; set; }

    /// <summary>Time its attempts were held by providers' rate limits after they started: wait, not work.</summary>
    public double HeldMs { get; set; }

    /// <summary>Attempts refused by a provider's rate limit (HTTP 429).</summary>
    public int RateLimited { get; set; }

    /// <summary>Every attempt it made, in order.</summary>
    public List<AttemptReport> AttemptLog { get; } = [];

    /// <summary>Attempts an interrupted run made before this one resumed it (they do not count against retries).</summary>
    internal int PriorAttempts { get; set; }

    /// <summary>Its result was restored from an interrupted run's journal rather than produced now.</summary>
    internal bool Restored { get; set; }

    /// <summary>Its result once it succeeded (or was served from the cache).</summary>
    public TaskResult? Result { get; set; }

    /// <summary>Why it failed, once it settled as failed.</summary>
    public string? Error { get; set; }

    /// <summary>The error of its latest failed attempt, retried or not.</summary>
    public string? LastError { get; set; }

    /// <summary>Tokens its attempts used (see <see cref="Account"/>).</summary>
    public TokenUsage Tokens { get; private set; }

    /// <summary>Whether any attempt reported tokens.</summary>
    public bool HasTokens { get; private set; }

    /// <summary>What its attempts cost, in US dollars.</summary>
    public decimal Cost { get; private set; }

    /// <summary>Whether any attempt reported a cost.</summary>
    public bool HasCost { get; private set; }

    internal ITimer? RetryTimer { get; set; }

    /// <summary>The pools the running attempt holds a slot of.</summary>
    internal ReadyPool[]? Pools { get; set; }

    /// <summary>For a fan-out item: its index; -1 otherwise.</summary>
    public int Index { get; init; } = -1;

    /// <summary>For a fan-out item: its element.</summary>
    public JsonElement? Item { get; init; }

    /// <summary>For a fan-out item: the group's instance (= node) index; -1 otherwise.</summary>
    public int Group { get; init; } = -1;

    /// <summary>For a fan-out group: its items' instance indexes, once expanded.</summary>
    public List<int>? Children { get; set; }

    internal int Unsettled { get; set; }

    /// <summary>For a fan-out group: how many of its items failed (cancelled ones are not counted).</summary>
    internal int Failures { get; set; }

    /// <summary>For a settled fan-out group: its items array as dependents see it.</summary>
    public JsonElement? Items { get; set; }

    /// <summary>Adds an attempt's tokens and cost, when it reported them.</summary>
    /// <param name="tokens">The attempt's tokens, if it reported them.</param>
    /// <param name="cost">The attempt's cost, if it reported one.</param>
    public void Account(TokenUsage? tokens, decimal? cost)
    {
        if (tokens is { } t)
        {
            Tokens += t;
            HasTokens = true;
        }

        if (cost is { } c)
        {
            Cost += c;
            HasCost = true;
        }
    }
}

/// <summary>Ready instances of one pool (the unnamed pool is unlimited), highest rank first, then FIFO.</summary>
internal sealed class ReadyPool(int size)
{
    public int Size { get; } = size;

    public int Running { get; set; }

    public PriorityQueue<int, (double NegativeRank, long Sequence)> Queue { get; } = new();
}
