using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;

namespace Fanout.Storage.Postgres.Distributed;

/// <summary>
/// A worker: claims ready instances of submitted runs from PostgreSQL (<c>FOR UPDATE SKIP LOCKED</c>, in batches),
/// holds each under a lease renewed by heartbeats, runs it with the plan's executors and completes it in one
/// transaction that records the attempt and output and makes its dependents ready. Any number of workers on any
/// number of machines may share a database; they coordinate only through it.
/// </summary>
public sealed class DistributedWorker
{
    private readonly PostgresDatabase _database;
    private readonly WorkerOptions _options;
    private readonly ConcurrentDictionary<string, RunState?> _runs = new(StringComparer.Ordinal);
    private readonly Channel<Finished> _finished = Channel.CreateUnbounded<Finished>(new UnboundedChannelOptions { SingleReader = true });
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _attempts = new();
    private int _inFlight;
    private long _completed;
    private long _superseded;

    /// <summary>Creates a worker on <paramref name="database"/>.</summary>
    public DistributedWorker(PostgresDatabase database, WorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(options);
        _database = database;
        _options = options;
    }

    /// <summary>Attempts this worker completed (recorded in the journal).</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Attempts whose result was discarded because their lease had expired and the instance was claimed
    /// again (the journal records them as lost).</summary>
    public long Superseded => Interlocked.Read(ref _superseded);

    /// <summary>Works until cancelled (then cancels running attempts and hands their instances back) or, with
    /// <see cref="WorkerOptions.ExitWhenIdle"/>, until no run is left unfinished.</summary>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        using var background = new CancellationTokenSource();
        var listener = ListenAsync(background.Token);
        var heartbeat = HeartbeatAsync(background.Token);
        var completer = CompleteLoopAsync();
        var plentiful = false;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var inFlight = Volatile.Read(ref _inFlight);
                var free = _options.Concurrency - inFlight;
                // While ready work is plentiful, claim in batches (a quarter of the slots at least): claims of one run
                // take turns, so many small ones would queue behind each other. When work is scarce, claim at once.
                if (plentiful && inFlight > 0 && free < Math.Max(1, _options.Concurrency / 4))
                {
                    await WaitAsync(cancellationToken);
                    continue;
                }

                var (claimed, active) = free > 0 ? await ClaimAsync(free, cancellationToken) : (0, true);
                plentiful = free > 0 ? claimed == free : plentiful;
                if (_options.ExitWhenIdle && !active && Volatile.Read(ref _inFlight) == 0)
                {
                    break;
                }

                if (claimed < free || free <= 0)
                {
                    await WaitAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            if (cancellationToken.IsCancellationRequested)
            {
                await _attempts.CancelAsync();
            }

            while (Volatile.Read(ref _inFlight) > 0)
            {
                await _wake.WaitAsync(TimeSpan.FromMilliseconds(50), CancellationToken.None);
            }

            _finished.Writer.Complete();
            await completer;
            await background.CancelAsync();
            await Task.WhenAll(Quietly(listener), Quietly(heartbeat));
            foreach (var run in _runs.Values)
            {
                run?.Services.Resources?.Dispose();
            }
        }
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task WaitAsync(CancellationToken cancellationToken)
    {
        await _wake.WaitAsync(_options.Poll, cancellationToken);
        // One look for work serves every wake-up that arrived meanwhile.
        while (_wake.CurrentCount > 0 && _wake.Wait(0))
        {
        }
    }

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _database.Source.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, _) => _wake.Release();
                await using (var command = new NpgsqlCommand($"LISTEN {Channels.Ready}; LISTEN {Channels.Finished}", connection))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken);
                }

                while (true)
                {
                    await connection.WaitAsync(cancellationToken);
                }
            }
            catch (Exception e) when (e is NpgsqlException or IOException)
            {
                // The poll keeps the worker going; listening resumes when the database is back.
                await Task.Delay(_options.Poll, cancellationToken);
            }
        }
    }

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.Lease / 3);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            try
            {
                await using var command = _database.Source.CreateCommand(
                    "UPDATE fanout_instances SET lease_until = now() + @lease WHERE lease_owner = @me AND state = 'running'");
                command.Parameters.AddWithValue("lease", _options.Lease);
                command.Parameters.AddWithValue("me", _options.WorkerId);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (Exception e) when (e is NpgsqlException or IOException)
            {
                // A missed heartbeat only risks the lease; completion checks it.
                _options.Log?.Invoke($"heartbeat failed: {e.Message}");
            }
        }
    }

    /// <summary>One look for work, as the loop makes it (for tests): claims and starts up to <paramref name="max"/>
    /// instances, returns how many.</summary>
    internal async Task<int> ClaimOnceAsync(int max) => (await ClaimAsync(max, CancellationToken.None)).Claimed;

    /// <summary>Claims up to <paramref name="max"/> instances over the unfinished runs; also says whether any run is
    /// unfinished.</summary>
    private async Task<(int Claimed, bool Active)> ClaimAsync(int max, CancellationToken cancellationToken)
    {
        var runIds = new List<string>();
        await using (var command = _database.Source.CreateCommand(
            "SELECT run_id FROM fanout_runs WHERE distributed AND status = 'running' AND (@only::text IS NULL OR run_id = @only) ORDER BY started_at"))
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
            UPDATE fanout_instances AS t SET state = 'running', attempts = t.attempts + 1, lease_owner = @me, lease_until = now() + @lease,
                attempt_started_at = now(), started_at = coalesce(t.started_at, now()), not_before = NULL, updated_at = now(),
                wait_ms = t.wait_ms + greatest(0, extract(epoch FROM now() - t.ready_at) * 1000)
            FROM picked WHERE t.run_id = @run AND t.instance_id = picked.instance_id
            RETURNING t.instance_id, t.node, t.item_index, t.attempts, t.item, t.last_error),
        started AS (
            INSERT INTO fanout_attempts (run_id, instance_id, attempt, started_at, outcome, worker)
            SELECT @run, instance_id, attempts, now(), 'running', @me FROM claimed
            ON CONFLICT DO NOTHING)
        SELECT instance_id, node, item_index, attempts, item::text, last_error FROM claimed
        """;

    /// <summary>Claimable now: ready, past any retry backoff; highest remaining critical path first, then FIFO.</summary>
    private const string Claimable =
        "SELECT instance_id, coalesce(pool, '') AS pool FROM fanout_instances WHERE run_id = @run AND state = 'ready' AND (not_before IS NULL OR not_before <= now()) ORDER BY rank DESC, ready_at";

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
                    new("""
                        WITH lost AS (
                            UPDATE fanout_instances SET state = 'ready', lease_owner = NULL, lease_until = NULL, lost = lost + 1,
                                ready_at = now(), updated_at = now()
                            WHERE run_id = @run AND state = 'running' AND role <> 'g' AND lease_until < now()
                            RETURNING instance_id, attempts)
                        UPDATE fanout_attempts AS a SET outcome = 'lost', finished_at = now(),
                            error = 'lease expired: the worker stopped renewing it (crashed, stopped or cut off)'
                        FROM lost WHERE a.run_id = @run AND a.instance_id = lost.instance_id AND a.attempt = lost.attempts AND a.outcome = 'running'
                        RETURNING a.instance_id, a.worker
                        """),
                    pools.IsEmpty
                        // Without pools the whole claim is one statement: the free slots are counted in it.
                        ? new(ClaimSql($"""
                            {Claimable} LIMIT (SELECT greatest(0, least(@max, coalesce(max(r.concurrency), 0) - (
                                SELECT count(*) FROM fanout_instances WHERE run_id = @run AND state = 'running' AND role <> 'g')))
                                FROM fanout_runs r WHERE r.run_id = @run AND r.status = 'running' AND r.stop_reason IS NULL)
                            FOR UPDATE SKIP LOCKED
                            """))
                        : new("""
                            SELECT coalesce(t.pool, ''), count(t.instance_id), min(r.concurrency) FROM fanout_runs r
                            LEFT JOIN fanout_instances t ON t.run_id = r.run_id AND t.state = 'running' AND t.role <> 'g'
                            WHERE r.run_id = @run AND r.status = 'running' AND r.stop_reason IS NULL GROUP BY 1
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

    private async Task ExecuteAsync(RunState run, Claim claim)
    {
        // Leave the claim loop first: executors may do synchronous work before their first await.
        await Task.Yield();
        var graph = run.Context.Graph;
        var task = graph[claim.Node];
        var dependencies = graph.Predecessors(claim.Node).ToArray().ToDictionary(p => graph[p].Id, p => run.Dependencies[graph[p].Id], StringComparer.Ordinal);
        var context = new TaskContext(task, claim.InstanceId, claim.Attempt, graph.Plan, run.Context.Inputs, dependencies, claim.Item,
            claim.Index, claim.PreviousError, TimeProvider.System, run.OutputDirectory);
        var timeout = task.Timeout ?? graph.Plan.Defaults.Timeout;
        using var timeoutSource = timeout is { } t ? new CancellationTokenSource(t) : null;
        using var linked = timeoutSource is null ? null : CancellationTokenSource.CreateLinkedTokenSource(_attempts.Token, timeoutSource.Token);
        var clock = Stopwatch.StartNew();
        Finished finished;
        try
        {
            var executor = run.Services.Executors.TryGet(task.Kind)
                ?? throw new TaskFailedException($"no executor for task kind '{task.Kind}'", retryable: false);
            var result = await executor.ExecuteAsync(context, linked?.Token ?? _attempts.Token);
            finished = run.Contracts.Violation(task, result.Output) is { } violation
                // A broken contract is the producer's failure, and retryable, as in a local run.
                ? new Finished(run, claim, null, new TaskFailedException(violation, retryable: true, null, result.Tokens, result.CostUsd), "failed", clock.Elapsed)
                : new Finished(run, claim, result, null, "succeeded", clock.Elapsed);
        }
        catch (OperationCanceledException) when (timeoutSource?.IsCancellationRequested == true && !_attempts.IsCancellationRequested)
        {
            finished = new Finished(run, claim, null, new TaskFailedException($"timed out after {Durations.Format(timeout!.Value)}"), "timed_out", clock.Elapsed);
        }
        catch (OperationCanceledException e) when (_attempts.IsCancellationRequested)
        {
            // This worker is stopping: the instance goes back to be claimed again (by anyone).
            finished = new Finished(run, claim, null, e, AttemptOutcomesLost, clock.Elapsed);
        }
        catch (Exception e)
        {
            finished = new Finished(run, claim, null, e, "failed", clock.Elapsed);
        }

        _finished.Writer.TryWrite(finished);
    }

    private const string AttemptOutcomesLost = "lost";

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

        var attempts = new List<(Finished Finished, DateTimeOffset At, string Outcome, string? Error)>();
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
                if (finished.Outcome == AttemptOutcomesLost)
                {
                    row.State = TaskState.Ready;
                    row.LeaseOwner = null;
                    row.ReadyAt = now;
                    row.Dirty = true;
                    row.Lost++;
                    attempts.Add((finished, at, AttemptOutcomesLost, "the worker stopped before the attempt finished"));
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
            p.AddWithValue("outcomes", attempts.Select(a => a.Outcome).ToArray());
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

    private static Claim ReadClaim(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetInt32(2), reader.GetInt32(3),
            reader.IsDBNull(4) ? null : JsonDocument.Parse(reader.GetString(4)).RootElement.Clone(),
            reader.IsDBNull(5) ? null : reader.GetString(5));

    private sealed record Claim(string InstanceId, int Node, int? Index, int Attempt, JsonElement? Item, string? PreviousError);

    private sealed record Finished(RunState Run, Claim Claim, TaskResult? Result, Exception? Error, string Outcome, TimeSpan Elapsed);

    /// <summary>One run as this worker works on it: its plan, executors and the settled dependencies seen so far.</summary>
    private sealed class RunState(RunContext context, RunServices services, string outputDirectory)
    {
        public RunContext Context { get; } = context;

        public RunServices Services { get; } = services;

        public string OutputDirectory { get; } = outputDirectory;

        public PlanContracts Contracts { get; } = new(context.Graph.Plan);

        /// <summary>Settled instances never change, so each is read once per worker.</summary>
        public ConcurrentDictionary<string, DependencyResult> Dependencies { get; } = new(StringComparer.Ordinal);

        public async Task LoadDependenciesAsync(PostgresDatabase database, IEnumerable<string> ids, CancellationToken cancellationToken)
        {
            var missing = ids.Where(id => !Dependencies.ContainsKey(id)).ToArray();
            if (missing.Length == 0)
            {
                return;
            }

            await using var command = database.Source.CreateCommand(
                $"SELECT {InstanceRow.Columns} FROM fanout_instances WHERE run_id = @run AND instance_id = ANY(@ids)");
            command.Parameters.AddWithValue("run", Context.RunId);
            command.Parameters.AddWithValue("ids", missing);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = InstanceRow.Read(reader);
                Dependencies[row.InstanceId] = row.ToDependency();
            }
        }
    }
}
