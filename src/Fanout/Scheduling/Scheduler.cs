using System.Text.Json;
using System.Threading.Channels;
using Fanout.Templates;

namespace Fanout;

/// <summary>
/// Runs a <see cref="TaskGraph"/>. One loop owns every piece of state (ready queues, counters, instance records);
/// attempts run concurrently and report back through a channel, so there are no locks and the whole run can be
/// driven by a manual <see cref="TimeProvider"/>. A task starts the moment its own dependencies settle — there are
/// no waves — and among ready tasks the one with the longest remaining critical path goes first.
/// </summary>
public sealed partial class Scheduler
{
    private readonly TaskGraph _graph;
    private readonly RunOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly int _concurrency;
    private readonly FailurePolicy _failurePolicy;
    private readonly double[] _rank;
    private readonly int[] _unsettledDependencies;
    private readonly List<Instance> _instances = [];
    private readonly Dictionary<string, ReadyPool> _pools = new(StringComparer.Ordinal);
    private readonly ReadyPool[][] _poolSets;
    private readonly Dictionary<string, ReadyPool[]> _singlePools = new(StringComparer.Ordinal);
    private readonly RunEventStream? _events;
    private long _eventSequence;
    private readonly Channel<Message> _inbox = Channel.CreateUnbounded<Message>(new UnboundedChannelOptions { SingleReader = true });
    private CancellationTokenSource _stop = new();
    private static readonly Dictionary<string, DependencyResult> NoDependencies = new(StringComparer.Ordinal);
    private const string BudgetExhaustedReason = "budget exhausted";
    private readonly string _runId;
    private long _sequence;
    private int _running;
    private int _peakRunning;
    private int _settledNodes;
    private bool _stopping;
    private bool _cancelledByUser;
    private bool _ownershipLost;
    private string? _stopReason;
    private readonly decimal? _budget;
    private decimal _spent;
    private bool _budgetExhausted;

    /// <summary>Prepares a run of <paramref name="graph"/>.</summary>
    public Scheduler(TaskGraph graph, RunOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        _graph = graph;
        _options = options ?? new RunOptions();
        _time = _options.Time;
        _random = _options.Seed is { } seed ? new Random(seed) : new Random();
        _concurrency = Math.Max(1, _options.Concurrency ?? graph.Plan.Concurrency ?? RunOptions.DefaultConcurrencyFor(_options.ProviderLimits));
        _failurePolicy = _options.OnFailure ?? graph.Plan.OnFailure;
        _budget = _options.BudgetUsd ?? graph.Plan.BudgetUsd;
        _rank = graph.UpwardRanks(_options.Estimator ?? RunOptions.DefaultEstimate);
        _runId = _options.Resume?.Run.RunId ?? _options.RunId ?? RunOptions.NewRunId(_time);
        _store = _options.Store;
        if (_options.Ownership is { } ownership)
        {
            if (ownership.Lease.RunId != _runId)
            {
                throw new ArgumentException($"the lease is for run '{ownership.Lease.RunId}', not '{_runId}'", nameof(options));
            }

            _batch.Lease = ownership.Lease;
        }

        _events = _options.Events;
        _eventSequence = _events?.LastSequence ?? 0;
        if (_options.Resume is { } prior)
        {
            _priorInstances = prior.Instances.ToDictionary(i => i.InstanceId, StringComparer.Ordinal);
            _priorAttempts = prior.Attempts.ToLookup(a => a.InstanceId, StringComparer.Ordinal);
        }

        _unsettledDependencies = new int[graph.Count];
        _pools[""] = new ReadyPool(int.MaxValue);
        foreach (var (name, size) in graph.Plan.Pools)
        {
            _pools[name] = new ReadyPool(size);
        }

        _poolSets = new ReadyPool[graph.Count][];
        for (var v = 0; v < graph.Count; v++)
        {
            _poolSets[v] = PoolSet(graph[v]);
            _parked += graph.IsCompensation[v] ? 1 : 0;
            _unsettledDependencies[v] = graph.Predecessors(v).Length;
            _instances.Add(new Instance(v, graph[v].Id));
            Carry(_instances[v]);
        }
    }

    /// <summary>The run id.</summary>
    public string RunId => _runId;

    /// <summary>Runs every task and returns the report. Cancelling <paramref name="cancellationToken"/> stops
    /// dispatching, cancels running attempts and still returns a report (status <c>cancelled</c>).</summary>
    public async Task<RunReport> RunAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await DriveAsync(cancellationToken);
        }
        finally
        {
            // Readers end with the run, however it ends (an ownership loss or a failed journal write throws).
            _events?.Complete();
        }
    }

    private async Task<RunReport> DriveAsync(CancellationToken cancellationToken)
    {
        var startedAt = _time.GetUtcNow();
        if (_store is not null)
        {
            JournalRunStarted(startedAt);
            startedAt = _runRow!.StartedAt;
        }

        Emit(new RunStarted(startedAt, _runId, _graph.Plan.Name, _graph.Count, _concurrency));
        await using var registration = cancellationToken.Register(() => _inbox.Writer.TryWrite(new CancelRequested()));
        await using var lost = _options.Ownership is { } ownership
            ? ownership.Lost.Register(() => _inbox.Writer.TryWrite(new OwnershipLost()))
            : default;
        for (var v = 0; v < _graph.Count; v++)
        {
            if (_unsettledDependencies[v] == 0 && _instances[v].State == TaskState.Pending && !_graph.IsCompensation[v])
            {
                MakeReady(v);
            }
        }

        // The registration's message would only be read after the first dispatch: honour an early cancel now.
        if (cancellationToken.IsCancellationRequested)
        {
            Handle(new CancelRequested());
        }

        await PumpAsync();
        var status = _cancelledByUser ? RunStatus.Cancelled
            : _instances.Take(_graph.Count).All(i => i.State == TaskState.Succeeded || _graph[i.Node].Optional || _graph.IsCompensation[i.Node]) ? RunStatus.Succeeded
            : _budgetExhausted ? RunStatus.BudgetExhausted
            : RunStatus.Failed;
        var compensations = await RollBackAsync(status == RunStatus.Failed && _failurePolicy == FailurePolicy.Rollback);
        var finishedAt = _time.GetUtcNow();
        Emit(new RunFinished(finishedAt, status));
        var report = ReportBuilder.Build(_graph, _instances, _runId, status, startedAt, finishedAt, _concurrency, _peakRunning,
            new ReportExtras(_budget, compensations, _options.ProviderFacts?.Invoke(), _options.ProviderLimits));
        if (_store is not null)
        {
            JournalRunFinished(status, finishedAt, report.CostUsd);
            await FlushAsync();
        }

        return report;
    }

    /// <summary>The loop: settle, dispatch, journal, then wait for what happens next, until every node not parked
    /// (compensations waiting for a rollback) has settled and nothing runs.</summary>
    private async Task PumpAsync()
    {
        while (_settledNodes + _parked < _graph.Count || _running > 0)
        {
            SettleRestored();
            Dispatch();
            if (_store is not null)
            {
                await FlushAsync();
            }

            if (_settledNodes + _parked == _graph.Count && _running == 0)
            {
                break;
            }

            Handle(await _inbox.Reader.ReadAsync(CancellationToken.None));
            while (_inbox.Reader.TryRead(out var next))
            {
                Handle(next);
            }

            if (_ownershipLost)
            {
                await AbandonAsync();
                throw new Fanout.Storage.RunOwnershipLostException(_options.Ownership!.Lease, _options.Ownership.Successor);
            }
        }
    }

    private void Handle(Message message)
    {
        switch (message)
        {
            case AttemptFinished finished:
                OnAttemptFinished(finished);
                break;
            case RetryDue due when _instances[due.Instance].State == TaskState.Pending:
                Enqueue(due.Instance);
                break;
            case CancelRequested:
                _cancelledByUser = true;
                StopAll("cancelled by user");
                break;
            case OwnershipLost:
                _ownershipLost = true;
                break;
        }
    }

    private void MakeReady(int node)
    {
        var task = _graph[node];
        if (task.Foreach is null)
        {
            if (!TryRestore(node))
            {
                Enqueue(node);
            }

            return;
        }

        JsonElement items;
        try
        {
            items = ResolveForeachItems(node);
        }
        catch (TemplateException e)
        {
            Settle(node, TaskState.Failed, $"foreach: {e.Message}");
            return;
        }

        var group = _instances[node];
        group.Children = [];
        group.ReadyAt = _time.GetUtcNow();
        group.State = TaskState.Running;
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var child = new Instance(node, $"{task.Id}[{index}]") { Item = item.Clone(), Index = index, Group = node };
            group.Children.Add(_instances.Count);
            _instances.Add(child);
            Carry(child);
            index++;
        }

        group.Unsettled = group.Children.Count;
        Emit(new FanoutExpanded(_time.GetUtcNow(), task.Id, group.Children.Count));
        if (group.Children.Count == 0)
        {
            FinishGroup(node);
            return;
        }

        foreach (var child in group.Children)
        {
            if (!TryRestore(child))
            {
                Enqueue(child);
            }
        }
    }

    private JsonElement ResolveForeachItems(int node) =>
        ForeachItems.Resolve(_graph[node], _options.Inputs, DependencyResults(node));

    private void Enqueue(int instance)
    {
        var record = _instances[instance];
        record.State = TaskState.Ready;
        record.ReadyAt = _time.GetUtcNow();
        // A task queues in the first of its pools (in one global order) and starts when all of them have a slot.
        var pool = _poolSets[record.Node][0];
        pool.Queue.Enqueue(instance, (-_rank[record.Node], _sequence++));
        EmitState(record);
    }

    /// <summary>Starts ready instances while slots are free: the highest-ranked head among pools with capacity, so a
    /// full pool never blocks ready work of another pool.</summary>
    private void Dispatch()
    {
        if (!_stopping && _budget is { } budget && _spent >= budget && _settledNodes < _graph.Count)
        {
            // Spent: start nothing more, but let running attempts finish (their cost is already being incurred).
            _budgetExhausted = true;
            StopAll(BudgetExhaustedReason, cancelRunning: false);
        }

        while (!_stopping && _running < _concurrency)
        {
            ReadyPool? best = null;
            var bestPriority = (double.MaxValue, long.MaxValue);
            foreach (var pool in _pools.Values)
            {
                if (pool.Running < pool.Size && pool.Queue.TryPeek(out var head, out var priority) && priority.CompareTo(bestPriority) < 0
                    && AllFree(_poolSets[_instances[head].Node]))
                {
                    (best, bestPriority) = (pool, priority);
                }
            }

            if (best is null)
            {
                return;
            }

            Start(best.Queue.Dequeue(), best);
        }
    }

    /// <summary>Whether every pool of a task has a free slot: pools are taken all at once or not at all, in the single
    /// loop that owns them, so no task ever holds one pool while waiting for another (no hold-and-wait, no deadlock).</summary>
    private static bool AllFree(ReadyPool[] pools)
    {
        foreach (var pool in pools)
        {
            if (pool.Running >= pool.Size)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A task's pools, ordered by name; the unnamed, unlimited pool when it has none. Tasks of one pool share
    /// one array (this runs once per task).</summary>
    private ReadyPool[] PoolSet(TaskDefinition task)
    {
        if (task.ExtraPools.IsDefaultOrEmpty)
        {
            var name = task.Pool ?? "";
            if (!_singlePools.TryGetValue(name, out var single))
            {
                _singlePools[name] = single = [_pools[name]];
            }

            return single;
        }

        return [.. task.ExtraPools.Prepend(task.Pool).OfType<string>().Distinct().Order(StringComparer.Ordinal).Select(n => _pools[n])];
    }

    private void Start(int instance, ReadyPool pool)
    {
        var record = _instances[instance];
        var task = _graph[record.Node];
        var now = _time.GetUtcNow();
        record.State = TaskState.Running;
        record.Attempts++;
        record.StartedAt ??= now;
        record.AttemptStartedAt = now;
        record.WaitMs += (now - record.ReadyAt!.Value).TotalMilliseconds;
        record.Pools = _poolSets[record.Node];
        foreach (var held in record.Pools)
        {
            held.Running++;
        }

        _running++;
        _peakRunning = Math.Max(_peakRunning, _running);
        if (record.Group >= 0 && _instances[record.Group].StartedAt is null)
        {
            _instances[record.Group].StartedAt = now;
        }

        var timeout = task.Timeout ?? _graph.Plan.Defaults.Timeout;
        var context = new TaskContext(task, record.Id, record.Attempts, _graph.Plan, _options.Inputs,
            DependencyResults(record.Node), record.Item, record.Index >= 0 ? record.Index : null, record.LastError, _time,
            _options.OutputDirectory) { RunId = _runId };
        EmitState(record);
        var launch = new Launch(instance, record.Attempts, context, timeout);
        if (_store is null)
        {
            StartAttempt(launch);
            return;
        }

        JournalAttemptStarted(record);
        _launches.Add(launch);
    }

    private void StartAttempt(Launch launch)
    {
        var timeoutSource = launch.Timeout is { } t ? new CancellationTokenSource(t, _time) : null;
        _ = RunAttemptAsync(launch.Instance, launch.Attempt, launch.Context, timeoutSource, launch.Timeout);
    }

    /// <summary>One attempt. Only the run-wide stop token and the attempt's own timeout cancel it, so an attempt
    /// without a timeout needs no token source of its own.</summary>
    private async Task RunAttemptAsync(int instance, int attempt, TaskContext context, CancellationTokenSource? timeoutSource, TimeSpan? timeout)
    {
        // Leave the scheduler loop first: executors may do synchronous work before their first await.
        await Task.Yield();
        var cancellation = _stop;
        using var linked = timeoutSource is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellation.Token, timeoutSource.Token);
        AttemptFinished finished;
        try
        {
            var executor = _options.Executors.TryGet(context.Task.Kind)
                // A missing executor will still be missing on the next attempt.
                ?? throw new TaskFailedException($"no executor for task kind '{context.Task.Kind}'{Names.DidYouMean(context.Task.Kind, _options.Executors.Kinds)}", retryable: false);
            var result = await executor.ExecuteAsync(context, linked?.Token ?? cancellation.Token);
            finished = new AttemptFinished(instance, attempt, _time.GetUtcNow(), result, null, AttemptOutcome.Succeeded);
        }
        catch (OperationCanceledException) when (timeoutSource?.IsCancellationRequested == true && !cancellation.IsCancellationRequested)
        {
            finished = new AttemptFinished(instance, attempt, _time.GetUtcNow(), null,
                new TaskFailedException($"timed out after {Durations.Format(timeout!.Value)}"), AttemptOutcome.TimedOut);
        }
        catch (OperationCanceledException e) when (cancellation.IsCancellationRequested)
        {
            finished = new AttemptFinished(instance, attempt, _time.GetUtcNow(), null, e, AttemptOutcome.Cancelled);
        }
        catch (Exception e)
        {
            finished = new AttemptFinished(instance, attempt, _time.GetUtcNow(), null, e, AttemptOutcome.Failed);
        }
        finally
        {
            timeoutSource?.Dispose();
        }

        _inbox.Writer.TryWrite(finished);
    }

    private void OnAttemptFinished(AttemptFinished finished)
    {
        var record = _instances[finished.Instance];
        var task = _graph[record.Node];
        if (finished.Result is { } produced && ContractViolation(task, produced.Output) is { } violation)
        {
            // A broken contract is the producer's failure, and retryable: a prompt gets a repair note quoting it.
            finished = finished with
            {
                Result = null,
                Error = new TaskFailedException(violation, retryable: true, null, produced.Tokens, produced.CostUsd),
                Outcome = AttemptOutcome.Failed,
            };
        }

        _running--;
        foreach (var held in record.Pools!)
        {
            held.Running--;
        }

        var error = finished.Error is null ? null : Describe(finished.Error);
        var attempt = new AttemptReport
        {
            Attempt = finished.Attempt,
            StartedAt = record.AttemptStartedAt!.Value,
            FinishedAt = finished.At,
            Outcome = finished.Outcome,
            Error = error,
        };
        record.AttemptLog.Add(attempt);
        var cost = finished.Result?.CostUsd ?? (finished.Error as TaskFailedException)?.CostUsd;
        var tokens = finished.Result?.Tokens ?? (finished.Error as TaskFailedException)?.Tokens;
        record.Account(tokens, cost);
        if (_store is not null)
        {
            JournalAttemptFinished(record, attempt, finished.Result, tokens, cost);
        }

        _spent += cost ?? 0;
        record.FinishedAt = finished.At;

        if (finished.Result is { } result)
        {
            record.Result = result;
            record.HeldMs += result.Held.TotalMilliseconds;
            Settle(finished.Instance, TaskState.Succeeded, null, result.Tokens, result.CostUsd);
            return;
        }

        record.LastError = error;
        if (finished.Outcome == AttemptOutcome.Cancelled || _stopping)
        {
            Settle(finished.Instance, TaskState.Cancelled, _stopReason ?? error);
            return;
        }

        if (finished.Error is RateLimitedException)
        {
            record.RateLimited++;
        }

        if (RetryDecision.Next(task, _graph.Plan, finished.Error!, record.Attempts - record.PriorAttempts, _random) is { } delay)
        {
            record.State = TaskState.Pending;
            record.RetryTimer = _time.CreateTimer(
                _ => _inbox.Writer.TryWrite(new RetryDue(finished.Instance)), null, delay, Timeout.InfiniteTimeSpan);
            Emit(new TaskRetrying(finished.At, record.Id, record.Attempts, delay, error!));
            return;
        }

        Settle(finished.Instance, TaskState.Failed, error);
    }

    /// <summary>Stops dispatching, cancels running attempts (unless <paramref name="cancelRunning"/> is false) and
    /// cancels everything not yet started.</summary>
    private void StopAll(string reason, bool cancelRunning = true)
    {
        // Before the early return: a user's cancel after the budget ran out still stops the attempts left running.
        if (cancelRunning)
        {
            _stop.Cancel();
        }

        if (_stopping)
        {
            return;
        }

        _stopping = true;
        _stopReason = reason;
        for (var i = 0; i < _instances.Count; i++)
        {
            var record = _instances[i];
            if (record.State is TaskState.Pending or TaskState.Ready && record.Children is null && !(i < _graph.Count && _graph.IsCompensation[i] && !_rollingBack))
            {
                record.RetryTimer?.Dispose();
                Settle(i, TaskState.Cancelled, reason);
            }
        }
    }

    /// <summary>The one place an instance reaches a final state: bookkeeping for fan-outs, dependents and fail-fast.</summary>
    private void Settle(int instance, TaskState state, string? error, TokenUsage? tokens = null, decimal? cost = null)
    {
        var record = _instances[instance];
        if (record.State.IsSettled())
        {
            return;
        }

        record.State = state;
        record.Error = error;
        record.FinishedAt ??= _time.GetUtcNow();
        record.RetryTimer?.Dispose();
        if (_store is not null)
        {
            JournalSettled(record);
        }

        if (Listened)
        {
            Emit(new TaskStateChanged(_time.GetUtcNow(), record.Id, _graph[record.Node].Kind, state, record.Attempts, error, tokens, cost)
            {
                CacheHit = record.Result?.CacheHit == true,
            });
        }

        if (record.Group >= 0)
        {
            var group = _instances[record.Group];
            var fanOut = _graph[record.Node];
            group.Unsettled--;
            if (state == TaskState.Failed)
            {
                group.Failures++;
            }

            if (group.Unsettled == 0)
            {
                FinishGroup(record.Group);
            }
            else if (state == TaskState.Failed && group.Failures > fanOut.Foreach!.MaxFailures && !fanOut.Optional)
            {
                // The fan-out can no longer succeed: fail fast (or roll back) now rather than when its last item settles.
                StopOnFailure(fanOut);
            }

            return;
        }

        _settledNodes++;
        var task = _graph[record.Node];
        if (state == TaskState.Failed && !task.Optional)
        {
            StopOnFailure(task);
        }

        if (_graph.IsCompensation[record.Node])
        {
            ReleaseNextCompensation();
        }

        var satisfied = state == TaskState.Succeeded || task.Optional;
        foreach (var successor in _graph.Successors(record.Node))
        {
            var next = _instances[successor];
            if (next.State != TaskState.Pending || _stopping || _graph.IsCompensation[successor])
            {
                // A compensation is parked until the run rolls back.
                continue;
            }

            // An inferred edge only orders the two: the later task runs whatever the earlier one's outcome, as it
            // would have run after it in a sequential run.
            if (!satisfied && _graph[successor].After == DependencyTrigger.Succeeded && !_graph.IsInferred(record.Node, successor))
            {
                Settle(successor, TaskState.Skipped, $"dependency '{task.Id}' {state.ToWire()}");
                continue;
            }

            if (--_unsettledDependencies[successor] == 0)
            {
                MakeReady(successor);
            }
        }
    }

    private void FinishGroup(int node)
    {
        var group = _instances[node];
        var task = _graph[node];
        var children = group.Children!.Select(c => _instances[c]).ToList();
        group.Attempts = children.Sum(c => c.Attempts);
        group.StartedAt ??= group.ReadyAt;
        group.FinishedAt = children.Count == 0 ? _time.GetUtcNow() : children.Max(c => c.FinishedAt);
        var (output, items) = ForeachItems.Settled([.. children.Select(c => (c.Index, c.Item, c.State, c.Result?.Output, c.Error))]);
        group.Result = new TaskResult { Output = output };
        group.Items = items;
        // Too many failed items fail the group even when the rest was then cancelled (fail-fast, or the user).
        if (ForeachItems.FailureReason(task, group.Failures, children.Count) is { } failure)
        {
            Settle(node, TaskState.Failed, failure);
        }
        else if (children.Any(c => c.State == TaskState.Cancelled) && _stopping)
        {
            Settle(node, TaskState.Cancelled, _stopReason);
        }
        else
        {
            Settle(node, TaskState.Succeeded, null);
        }
    }

    private IReadOnlyDictionary<string, DependencyResult> DependencyResults(int node)
    {
        if (_graph.Predecessors(node).IsEmpty)
        {
            return NoDependencies;
        }

        var results = new Dictionary<string, DependencyResult>(StringComparer.Ordinal);
        foreach (var predecessor in _graph.Predecessors(node))
        {
            var record = _instances[predecessor];
            results[record.Id] = new DependencyResult(record.Id, record.State, record.Result?.Output, record.Error, record.Items)
            {
                StartedAt = record.StartedAt,
                FinishedAt = record.FinishedAt,
                Tokens = record.HasTokens ? record.Tokens : null,
            };
        }

        return results;
    }

    private TaskStateChanged StateEvent(Instance record) =>
        new(_time.GetUtcNow(), record.Id, _graph[record.Node].Kind, record.State, record.Attempts);

    /// <summary>Whether events go anywhere (the journal or a stream): state events are built only then, since this
    /// runs several times per task.</summary>
    private bool Listened => _store is not null || _events is not null;

    /// <summary>Numbers <paramref name="e"/>; with a journal it is written in this turn's batch and published once the
    /// batch is durable (see <see cref="FlushAsync"/>), so no reader ever sees what the journal could lose.</summary>
    private void Emit(RunEvent e)
    {
        if (!Listened)
        {
            return;
        }

        e = e with { Sequence = ++_eventSequence };
        if (_store is null)
        {
            _events!.Publish(e);
            return;
        }

        JournalEvent(e);
        if (_events is not null)
        {
            _deferredEvents.Add(e);
        }
    }

    private void EmitState(Instance record)
    {
        if (Listened)
        {
            Emit(StateEvent(record));
        }
    }

    /// <summary>How an attempt's failure is recorded: the message of Fanout's own errors, the type and message of any
    /// other; one rule for every engine.</summary>
    /// <param name="e">What the attempt failed with.</param>
    public static string Describe(Exception e) => e switch
    {
        TaskFailedException or TemplateException or PlanException => e.Message,
        OperationCanceledException => TaskState.Cancelled.ToWire(),
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}
