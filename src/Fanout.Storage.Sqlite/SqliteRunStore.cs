using System.Collections.Immutable;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Fanout.Storage.Sqlite;

/// <summary>
/// The journal and result cache in one SQLite file: WAL mode, <c>synchronous=FULL</c> by default (a committed batch
/// survives power loss, not just a process crash), schema migrations applied on open. One connection, used by one
/// writer at a time; each <see cref="AppendAsync"/> is one transaction, so a batch is all there or not at all. Run
/// leases expire by the injected clock (one machine's clock: a SQLite file is shared only by processes on the machine
/// that holds it).
/// </summary>
public sealed class SqliteRunStore : IRunStore
{
    /// <summary>The default database path, relative to the working directory.</summary>
    public const string DefaultPath = ".fanout/fanout.db";

    private readonly Lock _lock = new();
    private readonly SqliteConnection _connection;
    private readonly SqliteWriter _writer;
    private readonly SqliteLeases _leases;

    private SqliteRunStore(SqliteConnection connection, TimeProvider time)
    {
        _connection = connection;
        _leases = new SqliteLeases(connection, time);
        _writer = new SqliteWriter(connection, _leases);
    }

    /// <summary>The database file.</summary>
    public string Path { get; private init; } = "";

    /// <summary>Opens (creating if needed) the database at <paramref name="path"/> and brings its schema up to date.</summary>
    /// <param name="path">The file; its directory is created.</param>
    /// <param name="synchronous">SQLite's <c>synchronous</c> pragma: <c>FULL</c> (default) or <c>NORMAL</c>, which in
    /// WAL mode survives a process crash but may lose the last commits on power loss.</param>
    /// <param name="time">The clock run leases are taken, renewed and expired by; the system clock by default.</param>
    /// <exception cref="InvalidDataException">The file is not a SQLite database, is another application's, or was
    /// written by a newer Fanout; the message names it, and the file is left untouched.</exception>
    public static SqliteRunStore Open(string path, string synchronous = "FULL", TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (synchronous is not ("FULL" or "NORMAL" or "EXTRA"))
        {
            throw new ArgumentException($"synchronous must be FULL, NORMAL or EXTRA, not '{synchronous}'", nameof(synchronous));
        }

        var full = System.IO.Path.GetFullPath(path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = full, Pooling = false }.ToString());
        try
        {
            connection.Open();
            Pragma(connection, "PRAGMA busy_timeout=10000;");
            SqliteMigrations.Check(connection, full);
            Pragma(connection, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous};");
            SqliteMigrations.Apply(connection);
            return new SqliteRunStore(connection, time ?? TimeProvider.System) { Path = full };
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static void Pragma(SqliteConnection connection, string sql)
    {
        using var pragma = connection.CreateCommand();
        pragma.CommandText = sql;
        pragma.ExecuteNonQuery();
    }

    /// <summary>The schema version the database is at.</summary>
    public int SchemaVersion()
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT MAX(version) FROM schema_migrations";
            return Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    /// <summary>How many distinct large results are stored (each once, by content hash).</summary>
    public long BlobCount()
    {
        lock (_lock)
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM blobs";
            return (long)command.ExecuteScalar()!;
        }
    }

    /// <inheritdoc />
    public Task AppendAsync(JournalBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        if (batch.IsEmpty)
        {
            return Task.CompletedTask;
        }

        lock (_lock)
        {
            _writer.Write(batch);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(QueryRuns("WHERE run_id = $a", runId, null, 1).FirstOrDefault());
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_lock)
        {
            IReadOnlyList<RunRecord> runs = query.Plan is null
                ? QueryRuns("", null, null, query.Limit)
                : QueryRuns("WHERE plan = $a", query.Plan, null, query.Limit);
            return Task.FromResult(runs);
        }
    }

    /// <inheritdoc />
    public Task<RunJournal?> LoadAsync(string runId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (QueryRuns("WHERE run_id = $a", runId, null, 1).FirstOrDefault() is not { } run)
            {
                return Task.FromResult<RunJournal?>(null);
            }

            return Task.FromResult<RunJournal?>(new RunJournal { Run = run, Instances = ReadInstances(runId), Attempts = ReadAttempts(runId) });
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<EventRecord>> ReadEventsAsync(string runId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            using var command = Command("SELECT at, type, instance_id, data_json FROM events WHERE run_id = $a ORDER BY seq", runId);
            using var reader = command.ExecuteReader();
            var events = new List<EventRecord>();
            while (reader.Read())
            {
                events.Add(new EventRecord
                {
                    RunId = runId,
                    At = Time(reader.GetString(0)),
                    Type = WireName<RunEventKind>.Parse(reader.GetString(1)),
                    InstanceId = Text(reader, 2),
                    DataJson = Text(reader, 3),
                });
            }

            return Task.FromResult<IReadOnlyList<EventRecord>>(events);
        }
    }

    /// <inheritdoc />
    public Task<LeaseClaim> TryTakeLeaseAsync(string runId, RunOwner owner, TimeSpan duration, long? replacing = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (_lock)
        {
            return Task.FromResult(_leases.TryTake(runId, owner, duration, replacing));
        }
    }

    /// <inheritdoc />
    public Task<RunLease?> RenewLeaseAsync(RunLease lease, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_lock)
        {
            return Task.FromResult(_leases.Renew(lease, duration));
        }
    }

    /// <inheritdoc />
    public Task ReleaseLeaseAsync(RunLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_lock)
        {
            _leases.Release(lease);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<RunLease?> GetLeaseAsync(string runId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_leases.Current(null, runId));
        }
    }

    /// <inheritdoc />
    public Task<CacheEntry?> GetCachedAsync(string key, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            using var command = Command("""
                SELECT COALESCE(c.result_inline, b.content), c.cost_usd, c.input_tokens, c.output_tokens, c.cached_tokens, c.created_at
                FROM cache c LEFT JOIN blobs b ON b.hash = c.result_hash WHERE c.key = $a
                """, key);
            using var reader = command.ExecuteReader();
            return Task.FromResult(reader.Read()
                ? new CacheEntry
                {
                    Key = key,
                    ResultJson = reader.GetString(0),
                    CostUsd = Money(reader, 1),
                    Tokens = Tokens(reader, 2),
                    CreatedAt = Time(reader.GetString(5)),
                }
                : null);
        }
    }

    /// <inheritdoc />
    public Task RecordBatchItemsAsync(IReadOnlyList<BatchItemRecord> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        lock (_lock)
        {
            using var transaction = _connection.BeginTransaction();
            foreach (var item in items)
            {
                using var command = _connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = """
                    INSERT OR REPLACE INTO batch_items(item_key, custom_id, batch_id, provider, key_alias, created_at, errored)
                    VALUES ($key, $custom, $batch, $provider, $alias, $created, $errored)
                    """;
                command.Parameters.AddWithValue("$key", item.ItemKey);
                command.Parameters.AddWithValue("$custom", item.CustomId);
                command.Parameters.AddWithValue("$batch", item.BatchId);
                command.Parameters.AddWithValue("$provider", item.Provider);
                command.Parameters.AddWithValue("$alias", item.KeyAlias);
                command.Parameters.AddWithValue("$created", SqliteWriter.Time(item.CreatedAt));
                command.Parameters.AddWithValue("$errored", item.Failed ? 1 : 0);
                command.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<BatchItemRecord?> FindBatchItemAsync(string itemKey, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            using var command = Command("SELECT custom_id, batch_id, provider, key_alias, created_at, errored FROM batch_items WHERE item_key = $a", itemKey);
            using var reader = command.ExecuteReader();
            return Task.FromResult(reader.Read()
                ? new BatchItemRecord(itemKey, reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), Time(reader.GetString(4)), reader.GetInt64(5) != 0)
                : null);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _writer.Dispose();
            _connection.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private List<RunRecord> QueryRuns(string where, string? a, string? b, int limit)
    {
        using var command = Command($"""
            SELECT run_id, plan, plan_hash, plan_text, plan_path, inputs_json, status, started_at, finished_at, cost_usd
            FROM runs {where} ORDER BY started_at DESC, run_id DESC LIMIT {limit}
            """, a, b);
        using var reader = command.ExecuteReader();
        var runs = new List<RunRecord>();
        while (reader.Read())
        {
            runs.Add(new RunRecord
            {
                RunId = reader.GetString(0),
                Plan = reader.GetString(1),
                PlanHash = Text(reader, 2),
                PlanText = Text(reader, 3),
                PlanPath = Text(reader, 4),
                InputsJson = Text(reader, 5),
                Status = reader.GetString(6),
                StartedAt = Time(reader.GetString(7)),
                FinishedAt = reader.IsDBNull(8) ? null : Time(reader.GetString(8)),
                CostUsd = Money(reader, 9),
            });
        }

        return runs;
    }

    private ImmutableArray<InstanceRecord> ReadInstances(string runId)
    {
        using var command = Command("""
            SELECT i.instance_id, i.task_id, i.item_index, i.definition_hash, i.state, i.error,
                   COALESCE(i.result_inline, b.content), i.updated_at
            FROM instances i LEFT JOIN blobs b ON b.hash = i.result_hash WHERE i.run_id = $a
            """, runId);
        using var reader = command.ExecuteReader();
        var instances = ImmutableArray.CreateBuilder<InstanceRecord>();
        while (reader.Read())
        {
            instances.Add(new InstanceRecord
            {
                RunId = runId,
                InstanceId = reader.GetString(0),
                TaskId = reader.GetString(1),
                ItemIndex = reader.IsDBNull(2) ? null : reader.GetInt32(2),
                DefinitionHash = reader.GetString(3),
                State = WireName<TaskState>.Parse(reader.GetString(4)),
                Error = Text(reader, 5),
                ResultJson = Text(reader, 6),
                UpdatedAt = Time(reader.GetString(7)),
            });
        }

        return instances.ToImmutable();
    }

    private ImmutableArray<AttemptRecord> ReadAttempts(string runId)
    {
        using var command = Command("""
            SELECT instance_id, attempt, started_at, finished_at, outcome, error, input_tokens, output_tokens, cached_tokens,
                   cost_usd, key_alias, cache_hit
            FROM attempts WHERE run_id = $a ORDER BY instance_id, attempt
            """, runId);
        using var reader = command.ExecuteReader();
        var attempts = ImmutableArray.CreateBuilder<AttemptRecord>();
        while (reader.Read())
        {
            attempts.Add(new AttemptRecord
            {
                RunId = runId,
                InstanceId = reader.GetString(0),
                Attempt = reader.GetInt32(1),
                StartedAt = Time(reader.GetString(2)),
                FinishedAt = reader.IsDBNull(3) ? null : Time(reader.GetString(3)),
                Outcome = WireName<AttemptOutcome>.Parse(reader.GetString(4)),
                Error = Text(reader, 5),
                Tokens = Tokens(reader, 6),
                CostUsd = Money(reader, 9),
                KeyAlias = Text(reader, 10),
                CacheHit = reader.GetInt64(11) != 0,
            });
        }

        return attempts.ToImmutable();
    }

    private SqliteCommand Command(string sql, string? a, string? b = null)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("$a", (object?)a ?? DBNull.Value);
        command.Parameters.AddWithValue("$b", (object?)b ?? DBNull.Value);
        return command;
    }

    private static string? Text(SqliteDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);

    private static decimal? Money(SqliteDataReader reader, int column) =>
        reader.IsDBNull(column) ? null : decimal.Parse(reader.GetString(column), CultureInfo.InvariantCulture);

    private static TokenUsage? Tokens(SqliteDataReader reader, int column) =>
        reader.IsDBNull(column) ? null : new TokenUsage(reader.GetInt64(column), reader.GetInt64(column + 1), reader.GetInt64(column + 2));

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
