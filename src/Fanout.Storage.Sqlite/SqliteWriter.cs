using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Fanout.Storage.Sqlite;

/// <summary>Writes journal batches with prepared statements kept for the connection's life (preparing per row
/// would cost more than the insert).</summary>
internal sealed class SqliteWriter : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SqliteLeases _leases;
    private readonly SqliteCommand _run;
    private readonly SqliteCommand _instance;
    private readonly SqliteCommand _attempt;
    private readonly SqliteCommand _event;
    private readonly SqliteCommand _blob;
    private readonly SqliteCommand _cache;

    public SqliteWriter(SqliteConnection connection, SqliteLeases leases)
    {
        _connection = connection;
        _leases = leases;
        _run = Prepare("""
            INSERT OR REPLACE INTO runs(run_id, plan, plan_hash, plan_text, plan_path, inputs_json, status, started_at, finished_at, cost_usd)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """, 10);
        _instance = Prepare("""
            INSERT OR REPLACE INTO instances(run_id, instance_id, task_id, item_index, definition_hash, state, error, result_inline, result_hash, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """, 10);
        _attempt = Prepare("""
            INSERT OR REPLACE INTO attempts(run_id, instance_id, attempt, started_at, finished_at, outcome, error, input_tokens,
                output_tokens, cached_tokens, cost_usd, key_alias, cache_hit)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            """, 13);
        _event = Prepare("INSERT INTO events(run_id, at, type, instance_id, data_json) VALUES ($1, $2, $3, $4, $5)", 5);
        _blob = Prepare("INSERT OR IGNORE INTO blobs(hash, content) VALUES ($1, $2)", 2);
        _cache = Prepare("""
            INSERT OR REPLACE INTO cache(key, result_inline, result_hash, cost_usd, input_tokens, output_tokens, cached_tokens, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """, 8);
    }

    public void Write(JournalBatch batch)
    {
        using var transaction = _connection.BeginTransaction(deferred: false);
        if (batch.Lease is { } lease)
        {
            _leases.Fence(transaction, lease);
        }

        foreach (var run in batch.Runs)
        {
            Execute(_run, transaction, run.RunId, run.Plan, run.PlanHash, run.PlanText, run.PlanPath, run.InputsJson, run.Status,
                Time(run.StartedAt), Time(run.FinishedAt), Money(run.CostUsd));
        }

        foreach (var i in batch.Instances)
        {
            var (inline, hash) = Result(transaction, i.ResultJson);
            Execute(_instance, transaction, i.RunId, i.InstanceId, i.TaskId, i.ItemIndex, i.DefinitionHash, i.State.ToWire(), i.Error,
                inline, hash, Time(i.UpdatedAt));
        }

        foreach (var a in batch.Attempts)
        {
            Execute(_attempt, transaction, a.RunId, a.InstanceId, a.Attempt, Time(a.StartedAt), Time(a.FinishedAt), a.Outcome.ToWire(), a.Error,
                a.Tokens?.Input, a.Tokens?.Output, a.Tokens?.CachedInput, Money(a.CostUsd), a.KeyAlias, a.CacheHit ? 1 : 0);
        }

        foreach (var e in batch.Events)
        {
            Execute(_event, transaction, e.RunId, Time(e.At), e.Type.ToWire(), e.InstanceId, e.DataJson);
        }

        foreach (var c in batch.Cache)
        {
            var (inline, hash) = Result(transaction, c.ResultJson);
            Execute(_cache, transaction, c.Key, inline, hash, Money(c.CostUsd), c.Tokens?.Input, c.Tokens?.Output, c.Tokens?.CachedInput,
                Time(c.CreatedAt));
        }

        transaction.Commit();
    }

    public void Dispose()
    {
        foreach (var command in new[] { _run, _instance, _attempt, _event, _blob, _cache })
        {
            command.Dispose();
        }
    }

    private (string? Inline, string? Hash) Result(SqliteTransaction transaction, string? json)
    {
        var (inline, hash) = OutputBlobs.Split(json);
        if (hash is not null)
        {
            Execute(_blob, transaction, hash, json);
        }

        return (inline, hash);
    }

    private SqliteCommand Prepare(string sql, int parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 1; i <= parameters; i++)
        {
            command.Parameters.Add(new SqliteParameter("$" + i.ToString(CultureInfo.InvariantCulture), null));
        }

        return command;
    }

    private static void Execute(SqliteCommand command, SqliteTransaction transaction, params object?[] values)
    {
        command.Transaction = transaction;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }

        command.ExecuteNonQuery();
    }

    /// <summary>How every time is stored: fixed-width UTC round-trip text, which sorts and compares as the times do.</summary>
    internal static string? Time(DateTimeOffset? at) => at?.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    private static string? Money(decimal? value) => value?.ToString(CultureInfo.InvariantCulture);
}
