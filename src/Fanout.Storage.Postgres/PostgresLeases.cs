using Npgsql;
using NpgsqlTypes;
using static Fanout.Storage.Postgres.PgValues;

namespace Fanout.Storage.Postgres;

/// <summary>
/// Run leases in <c>fanout_run_leases</c>, timed by the database's <c>now()</c>: owners on many machines then share
/// one clock, and no process's wrong clock can make a live lease look expired. A take is one conditional
/// <c>INSERT … ON CONFLICT DO UPDATE … WHERE</c>, which PostgreSQL evaluates against the latest committed row under
/// its row lock, so concurrent takers are serialised and only one wins. A batch's fence check reads the lease row
/// <c>FOR SHARE</c> in the batch's transaction: a take waits for the batch to commit, and a batch started after a take
/// sees the new epoch.
/// </summary>
internal static class PostgresLeases
{
    private const string Columns = "epoch, host, pid, since, expires_at, expires_at > now()";

    /// <summary>The fence check, first command of a batch's transaction; the batch reads its one row (or none).</summary>
    public static NpgsqlBatchCommand Fence(RunLease lease)
    {
        var command = new NpgsqlBatchCommand($"SELECT {Columns} FROM fanout_run_leases WHERE run_id = @run FOR SHARE");
        command.Parameters.AddWithValue("run", lease.RunId);
        return command;
    }

    /// <summary>Reads what <see cref="Fence"/> returned: the run's lease, or null.</summary>
    public static async Task<RunLease?> ReadFenceAsync(NpgsqlDataReader reader, string runId, CancellationToken cancellationToken) =>
        await reader.ReadAsync(cancellationToken) ? Read(reader, runId) : null;

    public static async Task<LeaseClaim> TryTakeAsync(NpgsqlDataSource source, string runId, RunOwner owner, TimeSpan duration, long? replacing,
        CancellationToken cancellationToken)
    {
        // Not taken and nobody holds it: released or expired between the take and the read of the holder. Take again.
        while (true)
        {
            await using (var take = source.CreateCommand($"""
                INSERT INTO fanout_run_leases AS l (run_id, epoch, host, pid, since, expires_at)
                VALUES (@run, 1, @host, @pid, now(), now() + @duration)
                ON CONFLICT (run_id) DO UPDATE SET epoch = l.epoch + 1, host = excluded.host, pid = excluded.pid, since = excluded.since,
                    expires_at = excluded.expires_at
                WHERE l.expires_at <= now() OR l.epoch = @replacing
                RETURNING {Columns}
                """))
            {
                take.Parameters.AddWithValue("run", runId);
                take.Parameters.AddWithValue("host", owner.Host);
                take.Parameters.AddWithValue("pid", owner.ProcessId);
                take.Parameters.AddWithValue("duration", duration);
                take.Parameters.AddWithValue("replacing", NpgsqlDbType.Bigint, (object?)replacing ?? DBNull.Value);
                if (await ReadOneAsync(take, runId, cancellationToken) is { } taken)
                {
                    return new LeaseClaim(true, taken);
                }
            }

            if (await GetAsync(source, runId, cancellationToken) is { Held: true } holder)
            {
                return new LeaseClaim(false, holder);
            }
        }
    }

    public static async Task<RunLease?> RenewAsync(NpgsqlDataSource source, RunLease lease, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using var renew = source.CreateCommand(
            $"UPDATE fanout_run_leases SET expires_at = now() + @duration WHERE run_id = @run AND epoch = @epoch RETURNING {Columns}");
        renew.Parameters.AddWithValue("run", lease.RunId);
        renew.Parameters.AddWithValue("epoch", lease.Epoch);
        renew.Parameters.AddWithValue("duration", duration);
        return await ReadOneAsync(renew, lease.RunId, cancellationToken);
    }

    public static async Task ReleaseAsync(NpgsqlDataSource source, RunLease lease, CancellationToken cancellationToken)
    {
        await using var release = source.CreateCommand("UPDATE fanout_run_leases SET expires_at = now() WHERE run_id = @run AND epoch = @epoch");
        release.Parameters.AddWithValue("run", lease.RunId);
        release.Parameters.AddWithValue("epoch", lease.Epoch);
        await release.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task<RunLease?> GetAsync(NpgsqlDataSource source, string runId, CancellationToken cancellationToken)
    {
        await using var select = source.CreateCommand($"SELECT {Columns} FROM fanout_run_leases WHERE run_id = @run");
        select.Parameters.AddWithValue("run", runId);
        return await ReadOneAsync(select, runId, cancellationToken);
    }

    private static async Task<RunLease?> ReadOneAsync(NpgsqlCommand command, string runId, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader, runId) : null;
    }

    private static RunLease Read(NpgsqlDataReader reader, string runId) => new()
    {
        RunId = runId,
        Epoch = reader.GetInt64(0),
        Owner = new RunOwner(reader.GetString(1), reader.GetInt32(2)),
        Since = Timestamp(reader, 3)!.Value,
        ExpiresAt = Timestamp(reader, 4)!.Value,
        Held = reader.GetBoolean(5),
    };
}
