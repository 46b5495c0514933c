using System.Collections.Immutable;

namespace Fanout;

/// <summary>
/// Rollback. Compensations (tasks named by another's <c>compensate:</c>) are parked: the loop never makes them
/// ready. When a run with <c>on_failure: rollback</c> settles as failed, the compensations of the tasks that
/// succeeded are released one at a time, latest-finished task first, and run through the same loop as attempts of
/// their own (journaled, retried, timed out, reported). Every other compensation settles as skipped with the reason.
/// </summary>
public sealed partial class Scheduler
{
    private readonly Queue<int> _rollback = new();
    private int _parked;
    private bool _rollingBack;

    /// <summary>A non-optional failure under a policy that stops the run.</summary>
    private void StopOnFailure(TaskDefinition task)
    {
        switch (_failurePolicy)
        {
            case FailurePolicy.FailFast:
                StopAll($"cancelled: '{task.Id}' failed and the plan fails fast");
                break;
            case FailurePolicy.Rollback when !_rollingBack:
                // Running attempts finish: whatever they did is then either undone (they succeeded) or failed.
                StopAll($"cancelled: '{task.Id}' failed and the plan rolls back", cancelRunning: false);
                break;
        }
    }

    private async Task<ImmutableArray<CompensationReport>> RollBackAsync(bool rollBack)
    {
        if (_parked == 0)
        {
            return [];
        }

        var undo = new List<int>();
        for (var v = 0; v < _graph.Count; v++)
        {
            var compensation = _graph.CompensationOf(v);
            if (compensation < 0)
            {
                continue;
            }

            if (rollBack && _instances[v].State == TaskState.Succeeded)
            {
                undo.Add(v);
                continue;
            }

            _parked--;
            Settle(compensation, TaskState.Skipped,
                rollBack ? $"nothing to undo: '{_graph[v].Id}' {_instances[v].State.ToWire()}" : "not needed: the run did not roll back");
        }

        // Reverse completion order; among tasks that finished at the same instant, the later-declared one first.
        undo.Sort((a, b) => (_instances[b].FinishedAt, b).CompareTo((_instances[a].FinishedAt, a)));
        foreach (var v in undo)
        {
            _rollback.Enqueue(v);
        }

        if (undo.Count > 0)
        {
            _rollingBack = true;
            _stopping = false;
            _stopReason = null;
            if (_stop.IsCancellationRequested)
            {
                _stop = new CancellationTokenSource();
            }

            ReleaseNextCompensation();
            await PumpAsync();
        }

        return [.. undo.Select(v =>
        {
            var record = _instances[_graph.CompensationOf(v)];
            return new CompensationReport
            {
                Task = _graph[v].Id,
                Compensation = record.Id,
                Status = record.State,
                Error = record.Error,
                StartedAt = record.StartedAt,
                FinishedAt = record.FinishedAt,
            };
        })];
    }

    /// <summary>Starts the next compensation of a rollback, once the previous one has settled.</summary>
    private void ReleaseNextCompensation()
    {
        if (_rollingBack && !_cancelledByUser && _rollback.TryDequeue(out var undone))
        {
            _parked--;
            MakeReady(_graph.CompensationOf(undone));
        }
    }
}
