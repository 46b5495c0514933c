using System.Text.Json;
using Npgsql;
using static Fanout.Storage.Postgres.PgValues;

namespace Fanout.Storage.Postgres.Distributed;

/// <summary>One row of <c>fanout_instances</c> as the distributed engine works on it inside a transaction.</summary>
internal sealed class InstanceRow
{
    /// <summary>The columns <see cref="Read"/> expects, in order.</summary>
    public const string Columns =
        "instance_id, task_id, item_index, node, role, state, remaining, failures, attempts, lost, error, last_error, result_json, " +
        "item::text, items::text, ready_at, started_at, attempt_started_at, finished_at, rate_limited, tokens_in, tokens_out, cost_usd, " +
        "lease_owner, wait_ms, rank, pool";

    /// <summary>A plain task.</summary>
    public const char Task = 't';

    /// <summary>A fan-out group (never runs itself).</summary>
    public const char Group = 'g';

    /// <summary>One item of a fan-out.</summary>
    public const char Item = 'i';

    public required string InstanceId { get; init; }

    public required string TaskId { get; init; }

    public int? ItemIndex { get; init; }

    public int Node { get; init; }

    public char Role { get; init; }

    public TaskState State { get; set; }

    public int Remaining { get; set; }

    public int Failures { get; set; }

    public int Attempts { get; set; }

    public int Lost { get; set; }

    public string? Error { get; set; }

    public string? LastError { get; set; }

    public string? ResultJson { get; set; }

    public string? ItemJson { get; init; }

    public string? ItemsJson { get; set; }

    public DateTimeOffset? ReadyAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? AttemptStartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    public DateTimeOffset? NotBefore { get; set; }

    public int RateLimited { get; set; }

    public long? TokensIn { get; set; }

    public long? TokensOut { get; set; }

    public decimal? CostUsd { get; set; }

    public string? LeaseOwner { get; set; }

    public double WaitMs { get; set; }

    public double Rank { get; init; }

    public string? Pool { get; init; }

    /// <summary>Changed in this transaction: written back at flush.</summary>
    public bool Dirty { get; set; }

    /// <summary>Created in this transaction (a fan-out item): inserted at flush.</summary>
    public bool New { get; init; }

    public TokenUsage? Tokens => TokensIn is { } i ? new TokenUsage(i, TokensOut ?? 0) : null;

    public void Account(TokenUsage? tokens, decimal? cost)
    {
        if (tokens is { } t)
        {
            TokensIn = (TokensIn ?? 0) + t.Input;
            TokensOut = (TokensOut ?? 0) + t.Output;
        }

        if (cost is { } c)
        {
            CostUsd = (CostUsd ?? 0) + c;
        }
    }

    /// <summary>What a dependent sees of this settled row.</summary>
    public DependencyResult ToDependency() =>
        new(InstanceId, State, Results.Output(ResultJson), Error, ItemsJson is { } items ? JsonDocument.Parse(items).RootElement.Clone() : null)
        {
            StartedAt = StartedAt,
            FinishedAt = FinishedAt,
            Tokens = Tokens,
        };

    public static InstanceRow Read(NpgsqlDataReader r) => new()
    {
        InstanceId = r.GetString(0),
        TaskId = r.GetString(1),
        ItemIndex = r.IsDBNull(2) ? null : r.GetInt32(2),
        Node = r.GetInt32(3),
        Role = r.GetString(4)[0],
        State = States.Parse(r.GetString(5)),
        Remaining = r.GetInt32(6),
        Failures = r.GetInt32(7),
        Attempts = r.GetInt32(8),
        Lost = r.GetInt32(9),
        Error = r.IsDBNull(10) ? null : r.GetString(10),
        LastError = r.IsDBNull(11) ? null : r.GetString(11),
        ResultJson = r.IsDBNull(12) ? null : r.GetString(12),
        ItemJson = r.IsDBNull(13) ? null : r.GetString(13),
        ItemsJson = r.IsDBNull(14) ? null : r.GetString(14),
        ReadyAt = Timestamp(r, 15),
        StartedAt = Timestamp(r, 16),
        AttemptStartedAt = Timestamp(r, 17),
        FinishedAt = Timestamp(r, 18),
        RateLimited = r.GetInt32(19),
        TokensIn = r.IsDBNull(20) ? null : r.GetInt64(20),
        TokensOut = r.IsDBNull(21) ? null : r.GetInt64(21),
        CostUsd = r.IsDBNull(22) ? null : r.GetDecimal(22),
        LeaseOwner = r.IsDBNull(23) ? null : r.GetString(23),
        WaitMs = r.GetDouble(24),
        Rank = r.GetDouble(25),
        Pool = r.IsDBNull(26) ? null : r.GetString(26),
    };
}

/// <summary>Task states as the journal spells them (see <see cref="WireName{TEnum}"/>), and the SQL fragments that name
/// them: spelled from the vocabulary, so a query can never drift from what the writers store.</summary>
internal static class States
{
    public static readonly string Pending = TaskState.Pending.ToWire();
    public static readonly string Ready = TaskState.Ready.ToWire();
    public static readonly string Running = TaskState.Running.ToWire();
    public static readonly string Cancelled = TaskState.Cancelled.ToWire();

    /// <summary>The settled states as a SQL list, for <c>state NOT IN (…)</c>.</summary>
    public static readonly string SettledList = WireName<TaskState>.SqlList(Vocabulary.Settled);

    /// <summary>An attempt's <c>running</c> outcome.</summary>
    public static readonly string AttemptRunning = AttemptOutcome.Running.ToWire();

    /// <summary>An attempt's <c>lost</c> outcome.</summary>
    public static readonly string AttemptLost = AttemptOutcome.Lost.ToWire();

    public static TaskState Parse(string wire) => WireName<TaskState>.Parse(wire);
}
