using Npgsql;
using NpgsqlTypes;

namespace Fanout.Storage.Postgres.Distributed;

/// <summary>Completing: finished attempts written back in batches, each completion atomic with what it implies.</summary>
public sealed partial class DistributedWorker
{
    private async Task CompleteLoopAsync()
    {
        var batch = new List<Finished>(_options.CompletionBatch);
        while (await _finished.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _options.CompletionBatch && _finished.Reader.TryRead(out var next))
            {
                batch.Add(next);
            }

            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await CompleteAsync(batch);
                    break;
                }
                catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure && attempt < 10)
                {
                    // Two workers settled tasks sharing dependents in opposite orders; the batch is simply redone.
                }
                catch (Exception e) when (e is NpgsqlException or IOException)
                {
                    // The database is unreachable: keep the results and try again (the lease may expire meanwhile, in
                    // which case the completion is refused as superseded).
                    _options.Log?.Invoke($"completing {batch.Count} attempts failed ({e.Message}); retrying");
                    await Task.Delay(_options.Poll);
                }
            }

            Interlocked.Add(ref _inFlight, -batch.Count);
            _wake.Release();
        }
    }

    /// <summary>Completes a batch in one transaction; each completion in it is atomic with the dependents it makes
    /// ready. A completion whose lease was lost (the instance was claimed again) is refused.</summary>
    private async Task CompleteAsync(List<Finished> batch)
    {
        await using var connection = await _database.Source.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var stopReasons = new Dictionary<string, string?>(StringComparer.Ordinal);
        DateTimeOffset now;
        await using (var command = new NpgsqlCommand("SELECT now(), run_id, stop_reason FROM fanout_runs WHERE run_id = ANY(@runs)", connection, transaction))
        {
            command.Parameters.AddWithValue("runs", batch.Select(f => f.Run.Context.RunId).Distinct().ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            now = DateTimeOffset.MinValue;
            while (await reader.ReadAsync())
            {
                now = new DateTimeOffset(reader.GetDateTime(0), TimeSpan.Zero);
                stopReasons[reader.GetString(1)] = reader.IsDBNull(2) ? null : reader.GetString(2);
            }
        }

        var attempts = new List<(Finished Finished, DateTimeOffset At, AttemptOutcome Outcome, string? Error)>();
        var finishedRuns = new List<(string RunId, string Status)>();
        var superseded = 0;
        var settlers = new List<(string RunId, Settler Settler)>();
        foreach (var group in batch.GroupBy(f => f.Run))
        {
            var run = group.Key;
            var settler = new Settler(connection, transaction, run.Context, now, stopReasons.GetValueOrDefault(run.Context.RunId));
            var rows = (await settler.LockAsync([.. group.Select(f => f.Claim.InstanceId)], CancellationToken.None)).ToDictionary(r => r.InstanceId, StringComparer.Ordinal);
            foreach (var finished in group)
            {
                var claim = finished.Claim;
                if (!rows.TryGetValue(claim.InstanceId, out var row) || row.State != TaskState.Running
                    || row.LeaseOwner != _options.WorkerId || row.Attempts != claim.Attempt)
                {
                    // The attempt number fences: once the lease expired and someone claimed it again, this result is
                    // not the instance's (the journal already says this attempt was lost).
                    superseded++;
                    _options.Log?.Invoke($"run {run.Context.RunId}: {claim.InstanceId}: attempt {claim.Attempt} discarded: its lease expired and it was claimed again");
                    continue;
                }

                // Times come from the database's clock: the attempt started at its claim's now(), and lasted what
                // this worker measured (a duration, immune to its clock being off).
                var at = Min(now, (row.AttemptStartedAt ?? now) + finished.Elapsed);
                var error = finished.Error is null ? null : Scheduler.Describe(finished.Error);
                if (finished.Outcome == AttemptOutcome.Lost)
                {
                    row.State = TaskState.Ready;
                    row.LeaseOwner = null;
                    row.ReadyAt = now;
                    row.Dirty = true;
                    row.Lost++;
                    attempts.Add((finished, at, AttemptOutcome.Lost, "the worker stopped before the attempt finished"));
                    continue;
                }

                attempts.Add((finished, at, finished.Outcome, error));
                if (finished.Result is { } result)
                {
                    await settler.SucceedAsync(row, result, at, CancellationToken.None);
                }
                else
                {
                    await settler.FailAsync(row, finished.Error!, error!, at, CancellationToken.None);
                }
            }

            settlers.Add((run.Context.RunId, settler));
        }

        NpgsqlBatchCommand? recordAttempts = null;
        if (attempts.Count > 0)
        {
            var command = recordAttempts = new NpgsqlBatchCommand(
                """
                UPDATE fanout_attempts AS a SET finished_at = u.finished_at, outcome = u.outcome, error = u.error,
                    tokens_in = u.tokens_in, tokens_out = u.tokens_out, cost_usd = u.cost_usd, key_alias = u.key_alias
                FROM unnest(@runs, @ids, @attempts, @finished, @outcomes, @errors, @tokens_in, @tokens_out, @costs, @keys)
                    AS u(run_id, instance_id, attempt, finished_at, outcome, error, tokens_in, tokens_out, cost_usd, key_alias)
                WHERE a.run_id = u.run_id AND a.instance_id = u.instance_id AND a.attempt = u.attempt
                """);
            var p = command.Parameters;
            p.AddWithValue("runs", attempts.Select(a => a.Finished.Run.Context.RunId).ToArray());
            p.AddWithValue("ids", attempts.Select(a => a.Finished.Claim.InstanceId).ToArray());
            p.AddWithValue("attempts", attempts.Select(a => a.Finished.Claim.Attempt).ToArray());
            p.AddWithValue("finished", attempts.Select(a => a.At.UtcDateTime).ToArray());
            p.AddWithValue("outcomes", attempts.Select(a => a.Outcome.ToWire()).ToArray());
            p.AddWithValue("errors", NpgsqlDbType.Array | NpgsqlDbType.Text, attempts.Select(a => a.Error).ToArray());
            p.AddWithValue("tokens_in", NpgsqlDbType.Array | NpgsqlDbType.Bigint, attempts.Select(a => Usage(a.Finished)?.Input).ToArray());
            p.AddWithValue("tokens_out", NpgsqlDbType.Array | NpgsqlDbType.Bigint, attempts.Select(a => Usage(a.Finished)?.Output).ToArray());
            p.AddWithValue("costs", NpgsqlDbType.Array | NpgsqlDbType.Numeric, attempts.Select(a => a.Finished.Result?.CostUsd ?? (a.Finished.Error as TaskFailedException)?.CostUsd).ToArray());
            p.AddWithValue("keys", NpgsqlDbType.Array | NpgsqlDbType.Text, attempts.Select(a => a.Finished.Result?.Key).ToArray());
        }

        foreach (var (runId, settler) in settlers.OrderBy(s => s.RunId, StringComparer.Ordinal))
        {
            // The attempts' outcomes travel with the first flush: one round trip fewer per batch.
            if (await settler.FlushAsync(recordAttempts, CancellationToken.None) is { } status)
            {
                finishedRuns.Add((runId, status));
            }

            recordAttempts = null;
        }

        await transaction.CommitAsync();
        Interlocked.Add(ref _completed, attempts.Count);
        Interlocked.Add(ref _superseded, superseded);
        foreach (var (runId, status) in finishedRuns)
        {
            _options.Log?.Invoke($"run {runId} finished: {status}");
        }
    }

    private static TokenUsage? Usage(Finished finished) => finished.Result?.Tokens ?? (finished.Error as TaskFailedException)?.Tokens;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
