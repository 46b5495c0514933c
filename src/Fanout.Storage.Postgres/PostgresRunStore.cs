using Fanout.Storage;
using Npgsql;
using NpgsqlTypes;
using static Fanout.Storage.Postgres.PgValues;

namespace Fanout.Storage.Postgres;

/// <summary>
/// The run journal and result cache in PostgreSQL. One <see cref="AppendAsync"/> is one transaction. It shares its
/// tables with the distributed workers, so <c>fanout runs</c> and <c>fanout show</c> see distributed runs too. Run
/// leases are timed by the database's clock (see <see cref="PostgresLeases"/>).
/// </summary>
public sealed class PostgresRunStore : IRunStore
{
    private readonly PostgresDatabase _database;
    private readonly bool _owned;

    /// <summary>A store over <paramref name="database"/>; disposing the store disposes the database when
    /// <paramref name="owned"/>.</summary>
    public PostgresRunStore(PostgresDatabase database, bool owned = false)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _owned = owned;
    }

    /// <summary>Opens (and migrates) the database <paramref name="store"/> names.</summary>
    public static async Task<PostgresRunStore> OpenAsync(string store, CancellationToken cancellationToken = default) =>
        new(await PostgresDatabase.OpenAsync(store, cancellationToken), owned: true);

    /// <summary>The database.</summary>
    public PostgresDatabase Database => _database;

    /// <inheritdoc />
    public async Task AppendAsync(JournalBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.IsEmpty)
        {
            return;
        }

        await using var connection = await _database.Source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var commands = new NpgsqlBatch(connection, transaction);
        var blobs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (batch.Runs.Count > 0)
        {
            var runs = batch.Runs;
            commands.BatchCommands.Add(Command(
                """
                INSERT INTO fanout_runs (run_id, plan, plan_hash, plan_text, plan_path, inputs_json, status, started_at, finished_at, cost_usd)
                SELECT * FROM unnest(@ids, @plans, @hashes, @texts, @paths, @inputs, @statuses, @started, @finished, @costs)
                ON CONFLICT (run_id) DO UPDATE SET plan = excluded.plan, plan_hash = excluded.plan_hash, plan_text = excluded.plan_text,
                    plan_path = excluded.plan_path, inputs_json = excluded.inputs_json, status = excluded.status,
                    started_at = excluded.started_at, finished_at = excluded.finished_at, cost_usd = excluded.cost_usd
                """,
                p =>
                {
                    Text(p, "ids", runs.Select(r => r.RunId));
                    Text(p, "plans", runs.Select(r => r.Plan));
                    Text(p, "hashes", runs.Select(r => r.PlanHash));
                    Text(p, "texts", runs.Select(r => r.PlanText));
                    Text(p, "paths", runs.Select(r => r.PlanPath));
                    Text(p, "inputs", runs.Select(r => r.InputsJson));
                    Text(p, "statuses", runs.Select(r => r.Status));
                    Times(p, "started", runs.Select(r => (DateTimeOffset?)r.StartedAt));
                    Times(p, "finished", runs.Select(r => r.FinishedAt));
                    p.AddWithValue("costs", NpgsqlDbType.Array | NpgsqlDbType.Numeric, runs.Select(r => r.CostUsd).ToArray());
                }));
        }

        if (batch.Instances.Count > 0)
        {
            var instances = batch.Instances;
            var split = instances.Select(i => Split(i.ResultJson, blobs)).ToList();
            commands.BatchCommands.Add(Command(
                """
                INSERT INTO fanout_instances (run_id, instance_id, task_id, item_index, definition_hash, state, error, result_json, result_hash, updated_at)
                SELECT * FROM unnest(@runs, @ids, @tasks, @indexes, @hashes, @states, @errors, @results, @result_hashes, @updated)
                ON CONFLICT (run_id, instance_id) DO UPDATE SET task_id = excluded.task_id, item_index = excluded.item_index,
                    definition_hash = excluded.definition_hash, state = excluded.state, error = excluded.error,
                    result_json = excluded.result_json, result_hash = excluded.result_hash, updated_at = excluded.updated_at
                """,
                p =>
                {
                    Text(p, "runs", instances.Select(i => i.RunId));
                    Text(p, "ids", instances.Select(i => i.InstanceId));
                    Text(p, "tasks", instances.Select(i => i.TaskId));
                    p.AddWithValue("indexes", NpgsqlDbType.Array | NpgsqlDbType.Integer, instances.Select(i => i.ItemIndex).ToArray());
                    Text(p, "hashes", instances.Select(i => i.DefinitionHash));
                    Text(p, "states", instances.Select(i => i.State.ToWire()));
                    Text(p, "errors", instances.Select(i => i.Error));
                    Text(p, "results", split.Select(s => s.Inline));
                    Text(p, "result_hashes", split.Select(s => s.Hash));
                    Times(p, "updated", instances.Select(i => (DateTimeOffset?)i.UpdatedAt));
                }));
        }

        if (batch.Attempts.Count > 0)
        {
            var attempts = batch.Attempts;
            commands.BatchCommands.Add(Command(
                """
                INSERT INTO fanout_attempts (run_id, instance_id, attempt, started_at, finished_at, outcome, error, tokens_in, tokens_out, tokens_cached, cost_usd, key_alias, cache_hit)
                SELECT * FROM unnest(@runs, @ids, @attempts, @started, @finished, @outcomes, @errors, @tokens_in, @tokens_out, @tokens_cached, @costs, @keys, @hits)
                ON CONFLICT (run_id, instance_id, attempt) DO UPDATE SET started_at = excluded.started_at, finished_at = excluded.finished_at,
                    outcome = excluded.outcome, error = excluded.error, tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out,
                    tokens_cached = excluded.tokens_cached, cost_usd = excluded.cost_usd, key_alias = excluded.key_alias, cache_hit = excluded.cache_hit
                """,
                p =>
                {
                    Text(p, "runs", attempts.Select(a => a.RunId));
                    Text(p, "ids", attempts.Select(a => a.InstanceId));
                    p.AddWithValue("attempts", attempts.Select(a => a.Attempt).ToArray());
                    Times(p, "started", attempts.Select(a => (DateTimeOffset?)a.StartedAt));
                    Times(p, "finished", attempts.Select(a => a.FinishedAt));
                    Text(p, "outcomes", attempts.Select(a => a.Outcome.ToWire()));
                    Text(p, "errors", attempts.Select(a => a.Error));
                    Tokens(p, attempts.Select(a => a.Tokens));
                    p.AddWithValue("costs", NpgsqlDbType.Array | NpgsqlDbType.Numeric, attempts.Select(a => a.CostUsd).ToArray());
                    Text(p, "keys", attempts.Select(a => a.KeyAlias));
                    p.AddWithValue("hits", attempts.Select(a => a.CacheHit).ToArray());
                }));
        }

        if (batch.Events.Count > 0)
        {
            var events = batch.Events;
            commands.BatchCommands.Add(Command(
                """
                INSERT INTO fanout_events (run_id, at, type, instance_id, data_json)
                SELECT run_id, at, type, instance_id, data_json
                FROM unnest(@runs, @at, @types, @ids, @data) WITH ORDINALITY AS e(run_id, at, type, instance_id, data_json, n) ORDER BY n
                """,
                p =>
                {
                    Text(p, "runs", events.Select(e => e.RunId));
                    Times(p, "at", events.Select(e => (DateTimeOffset?)e.At));
                    Text(p, "types", events.Select(e => e.Type.ToWire()));
                    Text(p, "ids", events.Select(e => e.InstanceId));
                    Text(p, "data", events.Select(e => e.DataJson));
                }));
        }

        if (batch.Cache.Count > 0)
        {
            var entries = batch.Cache;
            var split = entries.Select(e => Split(e.ResultJson, blobs)).ToList();
            commands.BatchCommands.Add(Command(
                """
                INSERT INTO fanout_cache (key, result_json, result_hash, cost_usd, tokens_in, tokens_out, tokens_cached, created_at)
                SELECT * FROM unnest(@keys, @results, @result_hashes, @costs, @tokens_in, @tokens_out, @tokens_cached, @created)
                ON CONFLICT (key) DO UPDATE SET result_json = excluded.result_json, result_hash = excluded.result_hash, cost_usd = excluded.cost_usd,
                    tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out, tokens_cached = excluded.tokens_cached, created_at = excluded.created_at
                """,
                p =>
                {
                    Text(p, "keys", entries.Select(e => e.Key));
                    Text(p, "results", split.Select(s => s.Inline));
                    Text(p, "result_hashes", split.Select(s => s.Hash));
                    p.AddWithValue("costs", NpgsqlDbType.Array | NpgsqlDbType.Numeric, entries.Select(e => e.CostUsd).ToArray());
                    Tokens(p, entries.Select(e => e.Tokens));
                    Times(p, "created", entries.Select(e => (DateTimeOffset?)e.CreatedAt));
                }));
        }

        if (blobs.Count > 0)
        {
            // Before the rows that reference them (same transaction, so order only matters for readability).
            commands.BatchCommands.Insert(0, Command(
                "INSERT INTO fanout_blobs (hash, content) SELECT * FROM unnest(@hashes, @contents) ON CONFLICT (hash) DO NOTHING",
                p =>
                {
                    p.AddWithValue("hashes", blobs.Keys.ToArray());
                    p.AddWithValue("contents", blobs.Values.ToArray());
                }));
        }

        if (batch.Lease is not { } lease)
        {
            await commands.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return;
        }

        // The check goes first in the same round trip; the writes after it are rolled back if it fails.
        commands.BatchCommands.Insert(0, PostgresLeases.Fence(lease));
        RunLease? current;
        await using (var reader = await commands.ExecuteReaderAsync(cancellationToken))
        {
            current = await PostgresLeases.ReadFenceAsync(reader, lease.RunId, cancellationToken);
            while (await reader.NextResultAsync(cancellationToken))
            {
            }
        }

        if (current?.Epoch != lease.Epoch)
        {
            await transaction.RollbackAsync(cancellationToken);
            throw new RunOwnershipLostException(lease, current);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task<LeaseClaim> TryTakeLeaseAsync(string runId, RunOwner owner, TimeSpan duration, long? replacing = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return PostgresLeases.TryTakeAsync(_database.Source, runId, owner, duration, replacing, cancellationToken);
    }

    /// <inheritdoc />
    public Task<RunLease?> RenewLeaseAsync(RunLease lease, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return PostgresLeases.RenewAsync(_database.Source, lease, duration, cancellationToken);
    }

    /// <inheritdoc />
    public Task ReleaseLeaseAsync(RunLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return PostgresLeases.ReleaseAsync(_database.Source, lease, cancellationToken);
    }

    /// <inheritdoc />
    public Task<RunLease?> GetLeaseAsync(string runId, CancellationToken cancellationToken = default) =>
        PostgresLeases.GetAsync(_database.Source, runId, cancellationToken);

    private static (string? Inline, string? Hash) Split(string? json, Dictionary<string, string> blobs)
    {
        var (inline, hash) = OutputBlobs.Split(json);
        if (hash is not null)
        {
            blobs[hash] = json!;
        }

        return (inline, hash);
    }

    private static NpgsqlBatchCommand Command(string sql, Action<NpgsqlParameterCollection> parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        parameters(command.Parameters);
        return command;
    }

    private static void Tokens(NpgsqlParameterCollection p, IEnumerable<TokenUsage?> values)
    {
        var list = values.ToList();
        p.AddWithValue("tokens_in", NpgsqlDbType.Array | NpgsqlDbType.Bigint, list.Select(t => t?.Input).ToArray());
        p.AddWithValue("tokens_out", NpgsqlDbType.Array | NpgsqlDbType.Bigint, list.Select(t => t?.Output).ToArray());
        p.AddWithValue("tokens_cached", NpgsqlDbType.Array | NpgsqlDbType.Bigint, list.Select(t => t?.CachedInput).ToArray());
    }

    private const string RunColumns = "run_id, plan, plan_hash, plan_text, plan_path, inputs_json, status, started_at, finished_at, cost_usd";

    /// <inheritdoc />
    public async Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        await using var command = _database.Source.CreateCommand($"SELECT {RunColumns} FROM fanout_runs WHERE run_id = @run");
        command.Parameters.AddWithValue("run", runId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadRun(reader) : null;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var command = _database.Source.CreateCommand(
            $"SELECT {RunColumns} FROM fanout_runs WHERE (@plan::text IS NULL OR plan = @plan) ORDER BY started_at DESC, run_id DESC LIMIT @limit");
        command.Parameters.AddWithValue("plan", NpgsqlDbType.Text, (object?)query.Plan ?? DBNull.Value);
        command.Parameters.AddWithValue("limit", query.Limit);
        var runs = new List<RunRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            runs.Add(ReadRun(reader));
        }

        return runs;
    }

    /// <inheritdoc />
    public async Task<RunJournal?> LoadAsync(string runId, CancellationToken cancellationToken = default)
    {
        if (await GetRunAsync(runId, cancellationToken) is not { } run)
        {
            return null;
        }

        var instances = new List<InstanceRecord>();
        await using (var command = _database.Source.CreateCommand(
            """
            SELECT i.instance_id, i.task_id, i.item_index, i.definition_hash, i.state, i.error, coalesce(i.result_json, b.content), i.updated_at
            FROM fanout_instances i LEFT JOIN fanout_blobs b ON b.hash = i.result_hash WHERE i.run_id = @run
            """))
        {
            command.Parameters.AddWithValue("run", runId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                instances.Add(new InstanceRecord
                {
                    RunId = runId,
                    InstanceId = reader.GetString(0),
                    TaskId = reader.GetString(1),
                    ItemIndex = reader.IsDBNull(2) ? null : reader.GetInt32(2),
                    DefinitionHash = reader.GetString(3),
                    State = Distributed.States.Parse(reader.GetString(4)),
                    Error = reader.IsDBNull(5) ? null : reader.GetString(5),
                    ResultJson = reader.IsDBNull(6) ? null : reader.GetString(6),
                    UpdatedAt = Timestamp(reader, 7)!.Value,
                });
            }
        }

        var attempts = new List<AttemptRecord>();
        await using (var command = _database.Source.CreateCommand(
            """
            SELECT instance_id, attempt, started_at, finished_at, outcome, error, tokens_in, tokens_out, tokens_cached, cost_usd, key_alias, cache_hit
            FROM fanout_attempts WHERE run_id = @run ORDER BY instance_id COLLATE "C", attempt
            """))
        {
            command.Parameters.AddWithValue("run", runId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                attempts.Add(new AttemptRecord
                {
                    RunId = runId,
                    InstanceId = reader.GetString(0),
                    Attempt = reader.GetInt32(1),
                    StartedAt = Timestamp(reader, 2)!.Value,
                    FinishedAt = Timestamp(reader, 3),
                    Outcome = WireName<AttemptOutcome>.Parse(reader.GetString(4)),
                    Error = reader.IsDBNull(5) ? null : reader.GetString(5),
                    Tokens = ReadTokens(reader, 6),
                    CostUsd = reader.IsDBNull(9) ? null : reader.GetDecimal(9),
                    KeyAlias = reader.IsDBNull(10) ? null : reader.GetString(10),
                    CacheHit = reader.GetBoolean(11),
                });
            }
        }

        return new RunJournal { Run = run, Instances = [.. instances], Attempts = [.. attempts] };
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<EventRecord>> ReadEventsAsync(string runId, CancellationToken cancellationToken = default)
    {
        await using var command = _database.Source.CreateCommand("SELECT at, type, instance_id, data_json FROM fanout_events WHERE run_id = @run ORDER BY id");
        command.Parameters.AddWithValue("run", runId);
        var events = new List<EventRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add(new EventRecord
            {
                RunId = runId,
                At = Timestamp(reader, 0)!.Value,
                Type = WireName<RunEventKind>.Parse(reader.GetString(1)),
                InstanceId = reader.IsDBNull(2) ? null : reader.GetString(2),
                DataJson = reader.IsDBNull(3) ? null : reader.GetString(3),
            });
        }

        return events;
    }

    /// <inheritdoc />
    public async Task<CacheEntry?> GetCachedAsync(string key, CancellationToken cancellationToken = default)
    {
        await using var command = _database.Source.CreateCommand(
            """
            SELECT c.key, coalesce(c.result_json, b.content), c.cost_usd, c.tokens_in, c.tokens_out, c.tokens_cached, c.created_at
            FROM fanout_cache c LEFT JOIN fanout_blobs b ON b.hash = c.result_hash WHERE c.key = @key
            """);
        command.Parameters.AddWithValue("key", key);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }

        return new CacheEntry
        {
            Key = reader.GetString(0),
            ResultJson = reader.GetString(1),
            CostUsd = reader.IsDBNull(2) ? null : reader.GetDecimal(2),
            Tokens = ReadTokens(reader, 3),
            CreatedAt = Timestamp(reader, 6)!.Value,
        };
    }

    /// <inheritdoc />
    public async Task RecordBatchItemsAsync(IReadOnlyList<BatchItemRecord> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        await using var command = _database.Source.CreateCommand(
            """
            INSERT INTO fanout_batch_items (item_key, custom_id, batch_id, provider, key_alias, created_at, errored)
            SELECT * FROM unnest(@keys, @customs, @batches, @providers, @aliases, @created, @errored)
            ON CONFLICT (item_key) DO UPDATE SET custom_id = excluded.custom_id, batch_id = excluded.batch_id,
                provider = excluded.provider, key_alias = excluded.key_alias, created_at = excluded.created_at, errored = excluded.errored
            """);
        command.Parameters.AddWithValue("keys", items.Select(i => i.ItemKey).ToArray());
        command.Parameters.AddWithValue("customs", items.Select(i => i.CustomId).ToArray());
        command.Parameters.AddWithValue("batches", items.Select(i => i.BatchId).ToArray());
        command.Parameters.AddWithValue("providers", items.Select(i => i.Provider).ToArray());
        command.Parameters.AddWithValue("aliases", items.Select(i => i.KeyAlias).ToArray());
        command.Parameters.AddWithValue("created", items.Select(i => i.CreatedAt.ToUniversalTime()).ToArray());
        command.Parameters.AddWithValue("errored", items.Select(i => i.Failed).ToArray());
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<BatchItemRecord?> FindBatchItemAsync(string itemKey, CancellationToken cancellationToken = default)
    {
        await using var command = _database.Source.CreateCommand(
            "SELECT custom_id, batch_id, provider, key_alias, created_at, errored FROM fanout_batch_items WHERE item_key = @key");
        command.Parameters.AddWithValue("key", itemKey);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new BatchItemRecord(itemKey, reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), Timestamp(reader, 4)!.Value, reader.GetBoolean(5))
            : null;
    }

    private static RunRecord ReadRun(NpgsqlDataReader r) => new()
    {
        RunId = r.GetString(0),
        Plan = r.GetString(1),
        PlanHash = r.IsDBNull(2) ? null : r.GetString(2),
        PlanText = r.IsDBNull(3) ? null : r.GetString(3),
        PlanPath = r.IsDBNull(4) ? null : r.GetString(4),
        InputsJson = r.IsDBNull(5) ? null : r.GetString(5),
        Status = r.GetString(6),
        StartedAt = Timestamp(r, 7)!.Value,
        FinishedAt = Timestamp(r, 8),
        CostUsd = r.IsDBNull(9) ? null : r.GetDecimal(9),
    };

    private static TokenUsage? ReadTokens(NpgsqlDataReader r, int i) =>
        r.IsDBNull(i) ? null : new TokenUsage(r.GetInt64(i), r.IsDBNull(i + 1) ? 0 : r.GetInt64(i + 1), r.IsDBNull(i + 2) ? 0 : r.GetInt64(i + 2));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_owned)
        {
            await _database.DisposeAsync();
        }
    }
}
