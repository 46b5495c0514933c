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
/// fan-out. Only the scheduler loop touches it.
/// </summary>
internal sealed class Instance(int node, string id)
{
    public int Node { get; } = node;

    public string Id { get; } = id;

    public TaskState State { get; set; }

    public int Attempts { get; set; }

    public DateTimeOffset? ReadyAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? AttemptStartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public double WaitMs { get; set; }

    /// <summary>Time its attempts were held by providers' rate limits after they started: wait, not work.</summary>
    public double HeldMs { get; set; }

    /// <summary>Attempts refused by a provider's rate limit (HTTP 429).</summary>
    public int RateLimited { get; set; }

    public List<AttemptReport> AttemptLog { get; } = [];

    /// <summary>Attempts an interrupted run made before this one resumed it (they do not count against retries).</summary>
    public int PriorAttempts { get; set; }

    /// <summary>Its result was restored from an interrupted run's journal rather than produced now.</summary>
    public bool Restored { get; set; }

    public TaskResult? Result { get; set; }

    public string? Error { get; set; }

    public string? LastError { get; set; }

    public TokenUsage Tokens { get; private set; }

    public bool HasTokens { get; private set; }

    public decimal Cost { get; private set; }

    public bool HasCost { get; private set; }

    public ITimer? RetryTimer { get; set; }

    /// <summary>The pools the running attempt holds a slot of.</summary>
    public ReadyPool[]? Pools { get; set; }

    /// <summary>For a fan-out item: its index and element.</summary>
    public int Index { get; init; } = -1;

    public JsonElement? Item { get; init; }

    /// <summary>For a fan-out item: the group's instance (= node) index; -1 otherwise.</summary>
    public int Group { get; init; } = -1;

    /// <summary>For a fan-out group: its items' instance indexes, once expanded.</summary>
    public List<int>? Children { get; set; }

    public int Unsettled { get; set; }

    /// <summary>For a fan-out group: how many of its items failed (cancelled ones are not counted).</summary>
    public int Failures { get; set; }

    public JsonElement? Items { get; set; }

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
