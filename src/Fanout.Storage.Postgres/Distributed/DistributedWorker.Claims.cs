using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Fanout.Storage.Postgres.Distributed;

/// <summary>Claiming: which instances a worker takes, under which locks, leased until when.</summary>
public sealed partial class DistributedWorker
{
    /// <summary>One look for work, as the loop makes it (for tests): claims and starts up to <paramref name="max"/>
    /// instances, returns how many.</summary>
    internal async Task<int> ClaimOnceAsync(int max) => (await ClaimAsync(max, CancellationToken.None)).Claimed;

    /// <summary>Claims up to <paramref name="max"/> instances over the unfinished runs; also says whether any run is
    /// unfinished.</summary>
    private async Task<(int Claimed, bool Active)> ClaimAsync(int max, CancellationToken cancellationToken)
    {
        var runIds = new List<string>();
        await using (var command = _database.Source.CreateCommand(
            $"SELECT run_id FROM fanout_runs WHERE distributed AND status = '{RunStatuses.Running}' AND (@only::text IS NULL OR run_id = @only) ORDER BY started_at"))
        {
            command.Parameters.AddWithValue("only", NpgsqlDbType.Text, (object?)_options.RunId ?? DBNull.Value);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                runIds.Add(reader.GetString(0));
            }
        }

        var claimed = 0;
        foreach (var runId in runIds)
        {
            if (claimed >= max)
            {
                break;
            }

            if (await RunAsync(runId, cancellationToken) is { } run)
            {
                claimed += await ClaimRunAsync(run, Math.Min(max - claimed, _options.ClaimBatch), cancellationToken);
            }
        }

        return (claimed, runIds.Count > 0);
    }

    private async Task<RunState?> RunAsync(string runId, CancellationToken cancellationToken)
    {
        if (_runs.TryGetValue(runId, out var known))
        {
            return known;
        }

        RunState? run = null;
        try
        {
            await using var connection = await _database.Source.OpenConnectionAsync(cancellationToken);
            var context = await RunContext.LoadAsync(connection, runId, cancellationToken);
            run = new RunState(context, _options.Services(context.Graph), _options.OutputDirectory(runId));
            Directory.CreateDirectory(run.OutputDirectory);
        }
        catch (Exception e) when (e is PlanException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            // Another worker (with the plan's files, or its providers' keys) may still run it.
            _options.Log?.Invoke($"run {runId}: this worker cannot run it: {e.Message}");
        }

        _runs[runId] = run;
        return run;
    }

    /// <summary>Claims (marks running, leased to this worker, attempt recorded as started) the instances chosen by the
    /// <c>picked</c> CTE <paramref name="picked"/>, and returns them.</summary>
    private static string ClaimSql(string picked) =>
        $"""
        WITH picked AS ({picked}),
        claimed AS (
            UPDATE fanout_instances AS t SET state = '{States.Running}', attempts = t.attempts + 1, lease_owner = @me, lease_until = now() + @lease,
                attempt_started_at = now(), started_at = coalesce(t.started_at, now()), not_before = NULL, updated_at = now(),
                wait_ms = t.wait_ms + greatest(0, extract(epoch FROM now() - t.ready_at) * 1000)
            FROM picked WHERE t.run_id = @run AND t.instance_id = picked.instance_id
            RETURNING t.instance_id, t.node, t.item_index, t.attempts, t.item, t.last_error),
        started AS (
            INSERT INTO fanout_attempts (run_id, instance_id, attempt, started_at, outcome, worker)
            SELECT @run, instance_id, attempts, now(), '{States.Running}', @me FROM claimed
            ON CONFLICT DO NOTHING)
        SELECT instance_id, node, item_index, attempts, item::text, last_error FROM claimed
        """;

    /// <summary>Claimable now: ready, past any retry backoff; highest remaining critical path first, then FIFO.</summary>
    private static readonly string Claimable =
        $"SELECT instance_id, coalesce(pool, '') AS pool FROM fanout_instances WHERE run_id = @run AND state = '{States.Ready}' AND (not_before IS NULL OR not_before <= now()) ORDER BY rank DESC, ready_at";

    private async Task<int> ClaimRunAsync(RunState run, int max, CancellationToken cancellationToken)
    {
        var graph = run.Context.Graph;
        var pools = graph.Plan.Pools;
        var claims = new List<Claim>();
        await using (var connection = await _database.Source.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            // Claimers of one run take turns (a transaction-scoped advisory lock, which completions never wait for).
            // Only claims raise the running count, so the count a claimer reads cannot grow under it, and the plan's
            // concurrency and pool sizes hold across all workers exactly. Each statement of the batch reads a fresh
            // snapshot, taken after the lock is held.
            var batch = new NpgsqlBatch(connection, transaction)
            {
                BatchCommands =
                {
                    new("SELECT pg_advisory_xact_lock(hashtextextended('fanout.claim:' || @run, 0))"),
                    // Leases are compared with the database's clock only: a worker's wrong clock cannot steal work.
                    new($"""
                        WITH lost AS (
                            UPDATE fanout_instances SET state = '{States.Ready}', lease_owner = NULL, lease_until = NULL, lost = lost + 1,
                                ready_at = now(), updated_at = now()
                            WHERE run_id = @run AND state = '{States.Running}' AND role <> 'g' AND lease_until < now()
                            RETURNING instance_id, attempts)
                        UPDATE fanout_attempts AS a SET outcome = '{States.AttemptLost}', finished_at = now(),
                            error = 'lease expired: the worker stopped renewing it (crashed, stopped or cut off)'
                        FROM lost WHERE a.run_id = @run AND a.instance_id = lost.instance_id AND a.attempt = lost.attempts AND a.outcome = '{States.AttemptRunning}'
                        RETURNING a.instance_id, a.worker
                        """),
                    pools.IsEmpty
                        // Without pools the whole claim is one statement: the free slots are counted in it.
                        ? new(ClaimSql($"""
                            {Claimable} LIMIT (SELECT greatest(0, least(@max, coalesce(max(r.concurrency), 0) - (
                                SELECT count(*) FROM fanout_instances WHERE run_id = @run AND state = '{States.Running}' AND role <> 'g')))
                                FROM fanout_runs r WHERE r.run_id = @run AND r.status = '{RunStatuses.Running}' AND r.stop_reason IS NULL)
                            FOR UPDATE SKIP LOCKED
                            """))
                        : new($"""
                            SELECT coalesce(t.pool, ''), count(t.instance_id), min(r.concurrency) FROM fanout_runs r
                            LEFT JOIN fanout_instances t ON t.run_id = r.run_id AND t.state = '{States.Running}' AND t.role <> 'g'
                            WHERE r.run_id = @run AND r.status = '{RunStatuses.Running}' AND r.stop_reason IS NULL GROUP BY 1
                            """),
                },
            };
            foreach (NpgsqlBatchCommand command in batch.BatchCommands)
            {
                command.Parameters.AddWithValue("run", run.Context.RunId);
                command.Parameters.AddWithValue("me", _options.WorkerId);
                command.Parameters.AddWithValue("lease", _options.Lease);
                command.Parameters.AddWithValue("max", max);
            }

            int? concurrency = null;
            var running = new Dictionary<string, long>(StringComparer.Ordinal);
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
            {
                await reader.NextResultAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    _options.Log?.Invoke($"run {run.Context.RunId}: {reader.GetString(0)}: lease of {(reader.IsDBNull(1) ? "?" : reader.GetString(1))} expired; claimable again");
                }

                await reader.NextResultAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    if (pools.IsEmpty)
                    {
                        claims.Add(ReadClaim(reader));
                    }
                    else
                    {
                        concurrency = reader.GetInt32(2);
                        running[reader.GetString(0)] = reader.GetInt64(1);
                    }
                }
            }

            var free = Math.Min(max, (concurrency ?? 0) - (int)running.Values.Sum());
            if (!pools.IsEmpty && free > 0)
            {
                // Pools: some candidates may be held back by a full pool, so look further and choose here.
                var chosen = new List<string>();
                await using (var command = new NpgsqlCommand($"{Claimable} LIMIT @n FOR UPDATE SKIP LOCKED", connection, transaction))
                {
                    command.Parameters.AddWithValue("run", run.Context.RunId);
                    command.Parameters.AddWithValue("n", free * 4);
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken) && chosen.Count < free)
                    {
                        var pool = reader.GetString(1);
                        if (pool.Length > 0 && pools.TryGetValue(pool, out var size))
                        {
                            if (running.GetValueOrDefault(pool) >= size)
                            {
                                continue;
                            }

                            running[pool] = running.GetValueOrDefault(pool) + 1;
                        }

                        chosen.Add(reader.GetString(0));
                    }
                }

                if (chosen.Count > 0)
                {
                    await using var command = new NpgsqlCommand(ClaimSql("SELECT unnest(@ids::text[]) AS instance_id"), connection, transaction);
                    command.Parameters.AddWithValue("run", run.Context.RunId);
                    command.Parameters.AddWithValue("me", _options.WorkerId);
                    command.Parameters.AddWithValue("lease", _options.Lease);
                    command.Parameters.AddWithValue("ids", chosen.ToArray());
                    await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        claims.Add(ReadClaim(reader));
                    }
                }
            }

            if (claims.Count == 0 && await Settler.TryFinishRunAsync(connection, transaction, run.Context, cancellationToken) is { } status)
            {
                _options.Log?.Invoke($"run {run.Context.RunId} finished: {status}");
            }

            await transaction.CommitAsync(cancellationToken);
        }

        if (claims.Count == 0)
        {
            return 0;
        }

        await run.LoadDependenciesAsync(_database, claims.SelectMany(c => graph.Predecessors(c.Node).ToArray()).Distinct().Select(p => graph[p].Id), cancellationToken);
        Interlocked.Add(ref _inFlight, claims.Count);
        foreach (var claim in claims)
        {
            _ = ExecuteAsync(run, claim);
        }

        return claims.Count;
    }


    private static Claim ReadClaim(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetInt32(2), reader.GetInt32(3),
            reader.IsDBNull(4) ? null : JsonDocument.Parse(reader.GetString(4)).RootElement.Clone(),
            reader.IsDBNull(5) ? null : reader.GetString(5));
}
