using Microsoft.Data.Sqlite;

namespace Fanout.Storage.Sqlite;

/// <summary>
/// The schema, as numbered steps applied in order on open and recorded in <c>schema_migrations</c>. Steps are never
/// edited once shipped: a change is a new step, so a database written by any earlier version upgrades in place.
/// Before anything is written, <see cref="Check"/> makes sure the file is Fanout's (or empty): Fanout never adds its
/// tables to another application's database, nor touches one a newer Fanout has migrated.
/// </summary>
internal static class SqliteMigrations
{
    /// <summary>The SQLite header's <c>application_id</c> of a Fanout store ("FANO"), set by step 2.</summary>
    public const int ApplicationId = 0x46414E4F;

    public static readonly IReadOnlyList<(int Version, string Sql)> Steps =
    [
        (1, """
            CREATE TABLE runs(
                run_id TEXT PRIMARY KEY, plan TEXT NOT NULL, plan_hash TEXT, plan_text TEXT, plan_path TEXT,
                inputs_json TEXT, status TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT, cost_usd TEXT);
            CREATE INDEX runs_by_plan ON runs(plan, started_at);
            CREATE INDEX runs_by_start ON runs(started_at);
            CREATE TABLE instances(
                run_id TEXT NOT NULL, instance_id TEXT NOT NULL, task_id TEXT NOT NULL, item_index INTEGER,
                definition_hash TEXT NOT NULL, state TEXT NOT NULL, error TEXT, result_inline TEXT, result_hash TEXT,
                updated_at TEXT NOT NULL,
                PRIMARY KEY(run_id, instance_id)) WITHOUT ROWID;
            CREATE TABLE attempts(
                run_id TEXT NOT NULL, instance_id TEXT NOT NULL, attempt INTEGER NOT NULL, started_at TEXT NOT NULL,
                finished_at TEXT, outcome TEXT NOT NULL, error TEXT, input_tokens INTEGER, output_tokens INTEGER,
                cached_tokens INTEGER, cost_usd TEXT, key_alias TEXT, cache_hit INTEGER NOT NULL,
                PRIMARY KEY(run_id, instance_id, attempt)) WITHOUT ROWID;
            CREATE TABLE events(
                seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, at TEXT NOT NULL, type TEXT NOT NULL,
                instance_id TEXT, data_json TEXT);
            CREATE INDEX events_by_run ON events(run_id, seq);
            CREATE TABLE blobs(hash TEXT PRIMARY KEY, content TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE cache(
                key TEXT PRIMARY KEY, result_inline TEXT, result_hash TEXT, cost_usd TEXT, input_tokens INTEGER,
                output_tokens INTEGER, cached_tokens INTEGER, created_at TEXT NOT NULL) WITHOUT ROWID;
            """),
        (2, $"""
            CREATE TABLE run_leases(
                run_id TEXT PRIMARY KEY, epoch INTEGER NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL,
                since TEXT NOT NULL, expires_at TEXT NOT NULL) WITHOUT ROWID;
            PRAGMA application_id = {ApplicationId};
            """),
        (3, """
            CREATE TABLE batch_items(
                item_key TEXT PRIMARY KEY, custom_id TEXT NOT NULL, batch_id TEXT NOT NULL, provider TEXT NOT NULL,
                key_alias TEXT NOT NULL, created_at TEXT NOT NULL, errored INTEGER NOT NULL) WITHOUT ROWID;
            """),
    ];

    /// <summary>Throws <see cref="InvalidDataException"/> (naming <paramref name="path"/>) unless the database is empty
    /// or Fanout's at a version this one knows. Reads only.</summary>
    public static void Check(SqliteConnection connection, string path)
    {
        long applicationId;
        try
        {
            applicationId = (long)Scalar(connection, "PRAGMA application_id")!;
        }
        catch (SqliteException e) when (e.SqliteErrorCode is 26 or 11)
        {
            // SQLITE_NOTADB, SQLITE_CORRUPT: the header is not SQLite's.
            throw new InvalidDataException($"'{path}' is not a SQLite database, so it cannot be a Fanout store", e);
        }

        var tables = new List<string>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                tables.Add(reader.GetString(0));
            }
        }

        // A store from before step 2 has no application id yet; it is recognised by its tables.
        var ours = applicationId == ApplicationId || applicationId == 0 && (tables.Count == 0 || tables.Contains("schema_migrations") && tables.Contains("runs"));
        if (!ours)
        {
            var what = applicationId != 0 ? $"application id 0x{applicationId:x8}" : $"tables {string.Join(", ", tables.Take(5))}{(tables.Count > 5 ? ", …" : "")}";
            throw new InvalidDataException($"'{path}' is a SQLite database of another application ({what}), not a Fanout store; it was left untouched");
        }

        if (tables.Count > 0 && Current(connection) is var version && version > Latest)
        {
            throw new InvalidDataException($"'{path}' was written by a newer Fanout (schema version {version}; this one knows up to {Latest}): use that version");
        }
    }

    /// <summary>Applies every step newer than the database's version in one write transaction, so that processes
    /// opening a new database at once take turns and each step runs once.</summary>
    public static void Apply(SqliteConnection connection)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        Execute(connection, "CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)", transaction);
        var current = Current(connection, transaction);
        foreach (var (version, sql) in Steps)
        {
            if (version > current)
            {
                Execute(connection, sql, transaction);
                Execute(connection, $"INSERT INTO schema_migrations(version, applied_at) VALUES ({version}, '{DateTimeOffset.UtcNow:O}')", transaction);
            }
        }

        transaction.Commit();
    }

    /// <summary>The newest schema version.</summary>
    public static int Latest => Steps[^1].Version;

    private static int Current(SqliteConnection connection, SqliteTransaction? transaction = null) =>
        Convert.ToInt32(Scalar(connection, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", transaction), System.Globalization.CultureInfo.InvariantCulture);

    private static object? Scalar(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
