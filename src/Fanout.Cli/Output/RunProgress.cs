namespace Fanout.Cli.Output;

/// <summary>
/// Counters of a run in progress, fed from the run's event subscription (see <see cref="RunFollower"/>) and read by the live
/// view on its own timer. <see cref="Observe"/> only updates fields under a short lock: it never blocks the loop.
/// </summary>
internal sealed class RunProgress
{
    private const int RecentLines = 6;

    private readonly Lock _lock = new();
    private readonly EventLines _lines = new();
    private readonly Dictionary<string, RunningTask> _running = new(StringComparer.Ordinal);
    private readonly Queue<(string Text, EventLines.Tone Tone)> _recent = new();
    private DateTimeOffset? _startedAt;
    private int _total;
    private int _settled;
    private int _failed;
    private int _skipped;
    private int _retries;
    private int _concurrency;
    private long _tokensIn;
    private long _tokensOut;
    private decimal _cost;

    /// <summary>A task attempt in flight.</summary>
    public sealed record RunningTask(string Id, int Attempt, DateTimeOffset Since);

    /// <summary>A consistent copy of the counters.</summary>
    public sealed record Snapshot(
        DateTimeOffset? StartedAt, int Total, int Settled, int Failed, int Skipped, int Retries, int Concurrency,
        long TokensIn, long TokensOut, decimal Cost, IReadOnlyList<RunningTask> Running, IReadOnlyList<(string Text, EventLines.Tone Tone)> Recent);

    /// <summary>Records one event.</summary>
    public void Observe(RunEvent e)
    {
        lock (_lock)
        {
            switch (e)
            {
                case RunStarted s:
                    _startedAt = s.At;
                    _total = s.TaskCount;
                    _concurrency = s.Concurrency;
                    break;
                case FanoutExpanded f:
                    _total += f.Count;
                    break;
                case TaskRetrying r:
                    _retries++;
                    _running.Remove(r.TaskId);
                    break;
                case TaskStateChanged { State: TaskState.Running } t:
                    _running[t.TaskId] = new RunningTask(t.TaskId, t.Attempt, t.At);
                    break;
                case TaskStateChanged t when t.State.IsSettled():
                    _running.Remove(t.TaskId);
                    _settled++;
                    _failed += t.State == TaskState.Failed ? 1 : 0;
                    _skipped += t.State == TaskState.Skipped ? 1 : 0;
                    _tokensIn += t.Tokens?.Input ?? 0;
                    _tokensOut += t.Tokens?.Output ?? 0;
                    _cost += t.CostUsd ?? 0;
                    break;
            }

            // Every event goes through the line builder (it tracks start times); the view lists only the notable ones.
            var line = _lines.Line(e);
            if (line is not null && e is TaskRetrying or FanoutExpanded or TaskStateChanged { State: TaskState.Failed or TaskState.Skipped })
            {
                _recent.Enqueue(line.Value);
                while (_recent.Count > RecentLines)
                {
                    _recent.Dequeue();
                }
            }
        }
    }

    /// <summary>A copy of the counters, longest-running tasks first.</summary>
    public Snapshot Take()
    {
        lock (_lock)
        {
            return new Snapshot(_startedAt, _total, _settled, _failed, _skipped, _retries, _concurrency, _tokensIn, _tokensOut, _cost,
                [.. _running.Values.OrderBy(r => r.Since)], [.. _recent]);
        }
    }
}
