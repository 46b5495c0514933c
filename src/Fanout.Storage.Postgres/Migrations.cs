using Npgsql;

namespace Fanout.Storage.Postgres;

/// <summary>
/// The schema, as numbered steps applied in order on open. Workers on many machines may open the same database at
/// once: a transaction-scoped advisory lock makes them take turns, so each step runs exactly once and nobody sees a
/// half-migrated schema.
/// </summary>
internal static class Migrations
{
    /// <summary>Arbitrary, fixed: the advisory lock key of Fanout's migrations.</summary>
    private const long LockKey = 0x66616e6f7574; // "fanout"

    private static readonly string[] Steps =
    [
        """
        CREATE TABLE fanout_runs (
            run_id text PRIMARY KEY,
            plan text NOT NULL,
            plan_hash text,
            plan_text text,
            plan_path text,
            inputs_json text,
            status text NOT NULL,
            started_at timestamptz NOT NULL DEFAULT now(),
            finished_at timestamptz,
            cost_usd numeric,
            distributed boolean NOT NULL DEFAULT false,
            base_directory text,
            concurrency int,
            fail_fast boolean NOT NULL DEFAULT false,
            stop_reason text,
            seed int
        );
        CREATE INDEX fanout_runs_active ON fanout_runs (started_at) WHERE distributed AND status = 'running';
        CREATE TABLE fanout_instances (
            run_id text NOT NULL,
            instance_id text NOT NULL,
            task_id text NOT NULL,
            item_index int,
            definition_hash text NOT NULL DEFAULT '',
            state text NOT NULL,
            error text,
            result_json text,
            result_hash text,
            updated_at timestamptz NOT NULL DEFAULT now(),
            node int NOT NULL DEFAULT -1,
            role text NOT NULL DEFAULT 't',
            remaining int NOT NULL DEFAULT 0,
            failures int NOT NULL DEFAULT 0,
            attempts int NOT NULL DEFAULT 0,
            lost int NOT NULL DEFAULT 0,
            rank double precision NOT NULL DEFAULT 0,
            pool text,
            not_before timestamptz,
            ready_at timestamptz,
            started_at timestamptz,
            attempt_started_at timestamptz,
            finished_at timestamptz,
            wait_ms double precision NOT NULL DEFAULT 0,
            lease_owner text,
            lease_until timestamptz,
            item jsonb,
            items jsonb,
            last_error text,
            rate_limited int NOT NULL DEFAULT 0,
            tokens_in bigint,
            tokens_out bigint,
            cost_usd numeric,
            PRIMARY KEY (run_id, instance_id)
        );
        CREATE INDEX fanout_instances_ready ON fanout_instances (run_id, rank DESC, ready_at) WHERE state = 'ready';
        CREATE INDEX fanout_instances_unsettled ON fanout_instances (run_id)
            WHERE role <> 'i' AND state NOT IN ('succeeded', 'failed', 'skipped', 'cancelled');
        CREATE INDEX fanout_instances_running ON fanout_instances (run_id, lease_until) WHERE state = 'running' AND role <> 'g';
        CREATE TABLE fanout_attempts (
            run_id text NOT NULL,
            instance_id text NOT NULL,
            attempt int NOT NULL,
            started_at timestamptz NOT NULL,
            finished_at timestamptz,
            outcome text NOT NULL,
            error text,
            tokens_in bigint,
            tokens_out bigint,
            tokens_cached bigint,
            cost_usd numeric,
            key_alias text,
            cache_hit boolean NOT NULL DEFAULT false,
            worker text,
            PRIMARY KEY (run_id, instance_id, attempt)
        );
        CREATE TABLE fanout_events (
            id bigserial PRIMARY KEY,
            run_id text NOT NULL,
            at timestamptz NOT NULL,
            type text NOT NULL,
            instance_id text,
            data_json text
        );
        CREATE INDEX fanout_events_run ON fanout_events (run_id, id);
        CREATE TABLE fanout_cache (
            key text PRIMARY KEY,
            result_json text,
            result_hash text,
            cost_usd numeric,
            tokens_in bigint,
            tokens_out bigint,
            tokens_cached bigint,
            created_at timestamptz NOT NULL
        );
        CREATE TABLE fanout_blobs (
            hash text PRIMARY KEY,
            content text NOT NULL
        );
        """,
        """
        CREATE TABLE fanout_run_leases (
            run_id text PRIMARY KEY,
            epoch bigint NOT NULL,
            host text NOT NULL,
            pid int NOT NULL,
            since timestamptz NOT NULL,
            expires_at timestamptz NOT NULL
        );
        """,
        """
        CREATE TABLE fanout_batch_items (
            item_key text PRIMARY KEY,
            custom_id text NOT NULL,
            batch_id text NOT NULL,
            provider text NOT NULL,
            key_alias text NOT NULL,
            created_at timestamptz NOT NULL,
            errored boolean NOT NULL
        );
        """,
    ];

    /// <summary>The newest schema version.</summary>
    public static int Latest => Steps.Length;

    /// <summary>Applies every step not yet applied; returns the version the database is at.</summary>
    /// <exception cref="InvalidDataException">A newer Fanout migrated the database (named by <paramref name="description"/>).</exception>
    public static async Task<int> ApplyAsync(NpgsqlDataSource source, string description, CancellationToken cancellationToken)
    {
        await using var connection = await source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand(
            "SELECT pg_advisory_xact_lock(@key); CREATE TABLE IF NOT EXISTS fanout_schema_version (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());",
            connection, transaction))
        {
            command.Parameters.AddWithValue("key", LockKey);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        int current;
        await using (var command = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM fanout_schema_version", connection, transaction))
        {
            current = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
        }

        if (current > Steps.Length)
        {
            throw new InvalidDataException(
                $"the PostgreSQL database {description} was migrated by a newer Fanout (schema version {current}; this one knows up to {Steps.Length}): use that version");
        }

        for (var version = current + 1; version <= Steps.Length; version++)
        {
            await using var command = new NpgsqlCommand(Steps[version - 1] + $"; INSERT INTO fanout_schema_version (version) VALUES ({version});", connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return Math.Max(current, Steps.Length);
    }
}
