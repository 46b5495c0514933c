using System.Globalization;

namespace Fanout.Cli.Output;

/// <summary>
/// Turns notable run events into one log line each (<c>[  1.23s] succeeded strategy 1.1s 820 tok</c>). Remembers when
/// each task started to report durations. Not thread-safe: events arrive one at a time from the scheduler loop.
/// </summary>
internal sealed class EventLines
{
    private readonly Dictionary<string, DateTimeOffset> _started = new(StringComparer.Ordinal);
    private readonly HashSet<string> _groups = new(StringComparer.Ordinal);
    private DateTimeOffset? _runStart;

    /// <summary>The kind of line, so views can colour it.</summary>
    public enum Tone
    {
        Info,
        Good,
        Warning,
        Bad,
    }

    /// <summary>The line for <paramref name="e"/>, or null when it is not worth a line (ready, pending).</summary>
    public (string Text, Tone Tone)? Line(RunEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        _runStart ??= e.At;
        var body = Describe(e);
        if (body is null)
        {
            return null;
        }

        var seconds = (e.At - _runStart.Value).TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture);
        return ($"[{seconds,6}s] {body.Value.Text}", body.Value.Tone);
    }

    private (string Text, Tone Tone)? Describe(RunEvent e)
    {
        switch (e)
        {
            case RunStarted s:
                return ($"run {s.RunId} of '{s.Plan}': {s.TaskCount} tasks, concurrency {s.Concurrency}", Tone.Info);
            case FanoutExpanded f:
                _groups.Add(f.TaskId);
                _started.TryAdd(f.TaskId, f.At);
                return ($"expanded {f.TaskId} into {f.Count} items", Tone.Info);
            case TaskRetrying r:
                return ($"retry {r.TaskId} attempt {r.Attempt} failed: {Format.OneLine(r.Error)}, next in {Durations.Format(r.Delay)}", Tone.Warning);
            case TaskStateChanged { State: TaskState.Running } t:
                _started.TryAdd(t.TaskId, t.At);
                return ($"started {t.TaskId}{(t.Attempt > 1 ? $" (attempt {t.Attempt})" : "")}", Tone.Info);
            case TaskStateChanged { State: TaskState.Succeeded } t:
                return ($"succeeded {t.TaskId} {Elapsed(t)}{Usage(t)}{(t.CacheHit ? " (from the cache)" : "")}", Tone.Good);
            case TaskStateChanged { State: TaskState.Failed } t:
                var attempts = t.Attempt > 1 ? $" after {t.Attempt} attempts" : "";
                return ($"failed {t.TaskId}{attempts}: {Format.OneLine(t.Error)}", Tone.Bad);
            case TaskStateChanged { State: TaskState.Skipped } t:
                return ($"skipped {t.TaskId} ({Format.OneLine(t.Error)})", Tone.Warning);
            case TaskStateChanged { State: TaskState.Cancelled } t:
                return ($"cancelled {t.TaskId}{(t.Error is null ? "" : $" ({Format.OneLine(t.Error)})")}", Tone.Warning);
            case RunFinished f:
                return ($"run {f.Status.ToWire()}", f.Status == RunStatus.Succeeded ? Tone.Good : Tone.Bad);
            default:
                return null;
        }
    }

    private string Elapsed(TaskStateChanged t) =>
        _started.TryGetValue(t.TaskId, out var start) ? Durations.Format(t.At - start) : "";

    private string Usage(TaskStateChanged t)
    {
        var items = _groups.Contains(t.TaskId) ? " (fan-out)" : "";
        var tokens = t.Tokens is { } u && u.Input + u.Output > 0 ? $" {Format.Tokens(u.Input + u.Output)} tok" : "";
        var cost = t.CostUsd is > 0 ? $" {Format.Cost(t.CostUsd.Value)}" : "";
        return items + tokens + cost;
    }
}
