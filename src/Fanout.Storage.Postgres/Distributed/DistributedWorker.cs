using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Npgsql;

namespace Fanout.Storage.Postgres.Distributed;

/// <summary>
/// A worker: claims ready instances of submitted runs from PostgreSQL (<c>FOR UPDATE SKIP LOCKED</c>, in batches),
/// holds each under a lease renewed by heartbeats, runs it with the plan's executors and completes it in one
/// transaction that records the attempt and output and makes its dependents ready. Any number of workers on any
/// number of machines may share a database; they coordinate only through it.
/// </summary>
public sealed partial class DistributedWorker
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
                    $"UPDATE fanout_instances SET lease_until = now() + @lease WHERE lease_owner = @me AND state = '{States.Running}'");
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

    private async Task ExecuteAsync(RunState run, Claim claim)
    {
        // Leave the claim loop first: executors may do synchronous work before their first await.
        await Task.Yield();
        var graph = run.Context.Graph;
        var task = graph[claim.Node];
        var dependencies = graph.Predecessors(claim.Node).ToArray().ToDictionary(p => graph[p].Id, p => run.Dependencies[graph[p].Id], StringComparer.Ordinal);
        var context = new TaskContext(task, claim.InstanceId, claim.Attempt, graph.Plan, run.Context.Inputs, dependencies, claim.Item,
            claim.Index, claim.PreviousError, TimeProvider.System, run.OutputDirectory) { RunId = run.Context.RunId };
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
                ? new Finished(run, claim, null, new TaskFailedException(violation, retryable: true, null, result.Tokens, result.CostUsd), AttemptOutcome.Failed, clock.Elapsed)
                : new Finished(run, claim, result, null, AttemptOutcome.Succeeded, clock.Elapsed);
        }
        catch (OperationCanceledException) when (timeoutSource?.IsCancellationRequested == true && !_attempts.IsCancellationRequested)
        {
            finished = new Finished(run, claim, null, new TaskFailedException($"timed out after {Durations.Format(timeout!.Value)}"), AttemptOutcome.TimedOut, clock.Elapsed);
        }
        catch (OperationCanceledException e) when (_attempts.IsCancellationRequested)
        {
            // This worker is stopping: the instance goes back to be claimed again (by anyone).
            finished = new Finished(run, claim, null, e, AttemptOutcome.Lost, clock.Elapsed);
        }
        catch (Exception e)
        {
            finished = new Finished(run, claim, null, e, AttemptOutcome.Failed, clock.Elapsed);
        }

        _finished.Writer.TryWrite(finished);
    }

    private sealed record Claim(string InstanceId, int Node, int? Index, int Attempt, JsonElement? Item, string? PreviousError);

    private sealed record Finished(RunState Run, Claim Claim, TaskResult? Result, Exception? Error, AttemptOutcome Outcome, TimeSpan Elapsed);

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
