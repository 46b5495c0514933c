using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Fanout.Storage.Sqlite;

/// <summary>
/// Run leases in the <c>run_leases</c> table. Times are the injected clock's, written as fixed-width UTC text so that
/// they compare as text. A take is one conditional upsert inside a write (<c>BEGIN IMMEDIATE</c>) transaction, and
/// the fence check of a batch runs inside the batch's own write transaction: SQLite admits one writer at a time per
/// file, so between the check and the commit nobody can take the run, in this process or another.
/// </summary>
internal sealed class SqliteLeases(SqliteConnection connection, TimeProvider time)
{
    private const string Columns = "epoch, host, pid, since, expires_at";

    public LeaseClaim TryTake(string runId, RunOwner owner, TimeSpan duration, long? replacing)
    {
        var now = time.GetUtcNow();
        using var transaction = connection.BeginTransaction(deferred: false);
        using var take = Command(transaction, $"""
            INSERT INTO run_leases(run_id, epoch, host, pid, since, expires_at) VALUES ($run, 1, $host, $pid, $now, $until)
            ON CONFLICT(run_id) DO UPDATE SET epoch = epoch + 1, host = excluded.host, pid = excluded.pid, since = excluded.since,
                expires_at = excluded.expires_at
            WHERE expires_at <= excluded.since OR epoch = $replacing
            RETURNING {Columns}
            """, runId);
        take.Parameters.AddWithValue("$host", owner.Host);
        take.Parameters.AddWithValue("$pid", owner.ProcessId);
        take.Parameters.AddWithValue("$now", SqliteWriter.Time(now));
        take.Parameters.AddWithValue("$until", SqliteWriter.Time(now + duration));
        take.Parameters.AddWithValue("$replacing", (object?)replacing ?? DBNull.Value);
        var taken = Read(take, runId, now);
        var claim = taken is not null ? new LeaseClaim(true, taken) : new LeaseClaim(false, Current(transaction, runId)!);
        transaction.Commit();
        return claim;
    }

    public RunLease? Renew(RunLease lease, TimeSpan duration)
    {
        var now = time.GetUtcNow();
        using var renew = Command(null, $"UPDATE run_leases SET expires_at = $until WHERE run_id = $run AND epoch = $epoch RETURNING {Columns}", lease.RunId);
        renew.Parameters.AddWithValue("$until", SqliteWriter.Time(now + duration));
        renew.Parameters.AddWithValue("$epoch", lease.Epoch);
        return Read(renew, lease.RunId, now);
    }

    public void Release(RunLease lease)
    {
        using var release = Command(null, "UPDATE run_leases SET expires_at = $now WHERE run_id = $run AND epoch = $epoch", lease.RunId);
        release.Parameters.AddWithValue("$now", SqliteWriter.Time(time.GetUtcNow()));
        release.Parameters.AddWithValue("$epoch", lease.Epoch);
        release.ExecuteNonQuery();
    }

    /// <summary>The run's lease as it stands, or null; inside <paramref name="transaction"/> when given.</summary>
    public RunLease? Current(SqliteTransaction? transaction, string runId)
    {
        using var select = Command(transaction, $"SELECT {Columns} FROM run_leases WHERE run_id = $run", runId);
        return Read(select, runId, time.GetUtcNow());
    }

    /// <summary>Throws <see cref="RunOwnershipLostException"/> unless <paramref name="lease"/>'s epoch is its run's,
    /// inside the batch's write transaction.</summary>
    public void Fence(SqliteTransaction transaction, RunLease lease)
    {
        if (Current(transaction, lease.RunId) is var current && current?.Epoch != lease.Epoch)
        {
            throw new RunOwnershipLostException(lease, current);
        }
    }

    private SqliteCommand Command(SqliteTransaction? transaction, string sql, string runId)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$run", runId);
        return command;
    }

    private static RunLease? Read(SqliteCommand command, string runId, DateTimeOffset now)
    {
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var expires = Parse(reader.GetString(4));
        return new RunLease
        {
            RunId = runId,
            Epoch = reader.GetInt64(0),
            Owner = new RunOwner(reader.GetString(1), reader.GetInt32(2)),
            Since = Parse(reader.GetString(3)),
            ExpiresAt = expires,
            Held = expires > now,
        };
    }

    private static DateTimeOffset Parse(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
