using Microsoft.Data.Sqlite;

namespace Fanout.Storage.Sqlite;

/// <summary>
/// The schema, as numbered steps applied in order on open and recorded in <c>schema_migrations</c>. Steps are never
/// edited once shipped: a change is a new step, so a database written by any earlier version upgrades in place.
/// </summary>
internal static class SqliteMigrations
{
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
    ];

    /// <summary>Applies every step newer than the database's version, each in its own transaction.</summary>
    public static void Apply(SqliteConnection connection)
    {
        Execute(connection, "CREATE TABLE IF NOT EXISTS schema_migrations(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)");
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
        var current = Convert.ToInt32(read.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        foreach (var (version, sql) in Steps)
        {
            if (version <= current)
            {
                continue;
            }

            using var transaction = connection.BeginTransaction();
            Execute(connection, sql, transaction);
            Execute(connection, $"INSERT INTO schema_migrations(version, applied_at) VALUES ({version}, '{DateTimeOffset.UtcNow:O}')", transaction);
            transaction.Commit();
        }
    }

    /// <summary>The newest schema version.</summary>
    public static int Latest => Steps[^1].Version;

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
