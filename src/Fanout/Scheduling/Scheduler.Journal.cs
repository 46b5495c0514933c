using Fanout.Storage;

namespace Fanout;

/// <summary>
/// Journal-first execution. With a store, every turn of the loop collects what happened (attempts started and
/// finished, instances settled, cache entries, events) in one batch, writes it in one transaction, and only then
/// acts: launches the attempts it started and delivers the events. A crash at any point therefore leaves a journal
/// that describes at least everything anyone observed. Without a store none of this runs.
/// </summary>
public sealed partial class Scheduler
{
    private readonly IRunStore? _store;
    private readonly JournalBatch _batch = new();
    private readonly List<Launch> _launches = [];
    private readonly List<RunEvent> _deferredEvents = [];
    private readonly Queue<int> _restored = new();
    private readonly Dictionary<string, InstanceRecord>? _priorInstances;
    private readonly ILookup<string, AttemptRecord>? _priorAttempts;
    private string[]? _hashes;
    private RunRecord? _runRow;

    /// <summary>An attempt started in the loop whose executor runs once the journal has its start.</summary>
    private readonly record struct Launch(int Instance, int Attempt, TaskContext Context, TimeSpan? Timeout);

    private string HashOf(Instance record)
    {
        _hashes ??= DefinitionHashes.Compute(_graph);
        var hash = _hashes[record.Node];
        return record.Item is { } item ? DefinitionHashes.ForItem(hash, item) : hash;
    }

    private void JournalRunStarted(DateTimeOffset startedAt)
    {
        _hashes ??= DefinitionHashes.Compute(_graph);
        _runRow = new RunRecord
        {
            RunId = _runId,
            Plan = _graph.Plan.Name,
            PlanHash = DefinitionHashes.ForPlan(_hashes),
            PlanText = _options.PlanText ?? _options.Resume?.Run.PlanText,
            PlanPath = _options.PlanPath ?? _options.Resume?.Run.PlanPath,
            InputsJson = _options.Inputs.ValueKind == System.Text.Json.JsonValueKind.Undefined ? null : _options.Inputs.GetRawText(),
            Status = RunStatuses.Running,
            StartedAt = _options.Resume?.Run.StartedAt ?? startedAt,
        };
        _batch.Runs.Add(_runRow);
    }

    private void JournalRunFinished(RunStatus status, DateTimeOffset finishedAt, decimal cost) =>
        _batch.Runs.Add(_runRow! with
        {
            Status = RunStatuses.Of(status),
            FinishedAt = finishedAt,
            CostUsd = cost,
        });

    private void JournalAttemptStarted(Instance record)
    {
        _batch.Attempts.Add(new AttemptRecord
        {
            RunId = _runId,
            InstanceId = record.Id,
            Attempt = record.Attempts,
            StartedAt = record.AttemptStartedAt!.Value,
            Outcome = AttemptOutcome.Running,
        });
        _batch.Instances.Add(InstanceRow(record, null));
    }

    private void JournalAttemptFinished(Instance record, AttemptReport attempt, TaskResult? result, TokenUsage? tokens, decimal? cost) =>
        _batch.Attempts.Add(new AttemptRecord
        {
            RunId = _runId,
            InstanceId = record.Id,
            Attempt = attempt.Attempt,
            StartedAt = attempt.StartedAt,
            FinishedAt = attempt.FinishedAt,
            Outcome = attempt.Outcome,
            Error = attempt.Error,
            Tokens = tokens,
            CostUsd = cost,
            KeyAlias = result is { CacheHit: false } ? result.Key : null,
            CacheHit = result?.CacheHit == true,
        });

    /// <summary>The settled row; a fresh (not cached, not restored) result is also offered to the result cache here,
    /// in the same transaction as the success it belongs to.</summary>
    private void JournalSettled(Instance record)
    {
        // A group's result is its items' outputs, which their own rows hold; resume rebuilds it from them.
        var resultJson = record.State == TaskState.Succeeded && record.Children is null && record.Result is { } result
            ? StoredResult.Serialize(result)
            : null;
        _batch.Instances.Add(InstanceRow(record, resultJson));
        if (resultJson is not null && record.Result is { CacheKey: { } key, CacheHit: false } fresh && !record.Restored)
        {
            _batch.Cache.Add(new CacheEntry { Key = key, ResultJson = resultJson, CostUsd = fresh.CostUsd, Tokens = fresh.Tokens, CreatedAt = _time.GetUtcNow() });
        }
    }

    private InstanceRecord InstanceRow(Instance record, string? resultJson) => new()
    {
        RunId = _runId,
        InstanceId = record.Id,
        TaskId = _graph[record.Node].Id,
        ItemIndex = record.Index >= 0 ? record.Index : null,
        DefinitionHash = HashOf(record),
        State = record.State,
        Error = record.Error,
        ResultJson = resultJson,
        UpdatedAt = _time.GetUtcNow(),
    };

    private void JournalEvent(RunEvent e)
    {
        _batch.Events.Add(new EventRecord
        {
            RunId = _runId,
            At = e.At,
            Type = e.EventKind,
            InstanceId = e switch
            {
                TaskStateChanged t => t.TaskId,
                TaskRetrying r => r.TaskId,
                FanoutExpanded f => f.TaskId,
                _ => null,
            },
            DataJson = System.Text.Json.JsonSerializer.Serialize(e, RunReport.EventJsonOptions.GetTypeInfo(e.GetType())),
        });
    }

    /// <summary>Writes the batch, then does what waited for it: deliver events, launch attempts.</summary>
    private async ValueTask FlushAsync()
    {
        if (!_batch.IsEmpty)
        {
            try
            {
                await _store!.AppendAsync(_batch, CancellationToken.None);
            }
            catch
            {
                // Nothing unjournaled may run on (and after a RunOwnershipLostException, the run is no longer ours).
                await AbandonAsync();
                throw;
            }

            _batch.Clear();
        }

        foreach (var e in _deferredEvents)
        {
            _events!.Publish(e);
        }

        _deferredEvents.Clear();
        foreach (var launch in _launches)
        {
            StartAttempt(launch);
        }

        _launches.Clear();
    }

    /// <summary>Gives the run up without writing anything more: cancels every attempt, drops the launches and events
    /// that waited for the failed write, and waits until the attempts already running have ended, so that none goes
    /// on (a process, a provider call) once the caller hears the run stopped.</summary>
    private async Task AbandonAsync()
    {
        await _stop.CancelAsync();
        var running = _running - _launches.Count;
        _launches.Clear();
        _deferredEvents.Clear();
        foreach (var record in _instances)
        {
            record.RetryTimer?.Dispose();
        }

        while (running > 0)
        {
            if (await _inbox.Reader.ReadAsync(CancellationToken.None) is AttemptFinished)
            {
                running--;
            }
        }
    }

    /// <summary>Takes over an interrupted run's history for <paramref name="record"/>: its attempts (one left running
    /// is recorded as lost), their usage and cost, and its attempt numbering.</summary>
    private void Carry(Instance record)
    {
        if (_priorAttempts is null)
        {
            return;
        }

        foreach (var attempt in _priorAttempts[record.Id])
        {
            var outcome = attempt.Outcome;
            if (outcome == AttemptOutcome.Running)
            {
                outcome = AttemptOutcome.Lost;
                _batch.Attempts.Add(attempt with { Outcome = outcome });
            }

            record.AttemptLog.Add(new AttemptReport
            {
                Attempt = attempt.Attempt,
                StartedAt = attempt.StartedAt,
                FinishedAt = attempt.FinishedAt ?? attempt.StartedAt,
                Outcome = outcome,
                Error = attempt.Error,
            });
            record.Attempts = Math.Max(record.Attempts, attempt.Attempt);
            record.StartedAt ??= attempt.StartedAt;
            record.Account(attempt.Tokens, attempt.CostUsd);
            _spent += attempt.CostUsd ?? 0;
        }

        record.PriorAttempts = record.Attempts;
    }

    /// <summary>Whether the interrupted run already produced <paramref name="instance"/> under the same definition;
    /// if so its result is restored and it settles on the loop's next turn without running.</summary>
    private bool TryRestore(int instance)
    {
        var record = _instances[instance];
        if (_priorInstances is null || !_priorInstances.TryGetValue(record.Id, out var prior)
            || prior is not { State: TaskState.Succeeded, ResultJson: { } json } || prior.DefinitionHash != HashOf(record))
        {
            return false;
        }

        record.Result = StoredResult.Deserialize(json);
        record.Restored = true;
        record.ReadyAt = record.StartedAt ?? prior.UpdatedAt;
        record.FinishedAt = record.AttemptLog.Count > 0 ? record.AttemptLog[^1].FinishedAt : prior.UpdatedAt;
        record.State = TaskState.Ready;
        _restored.Enqueue(instance);
        return true;
    }

    private void SettleRestored()
    {
        while (_restored.TryDequeue(out var instance))
        {
            Settle(instance, TaskState.Succeeded, null);
        }
    }
}
