namespace Fanout;

/// <summary>A run a <see cref="IRunHost"/> is driving: read its events (replayed from a sequence number, then live),
/// cancel it, await its report.</summary>
public sealed class RunHandle
{
    private readonly RunEventStream _events;
    private readonly CancellationTokenSource _cancel;

    internal RunHandle(string runId, RunEventStream events, CancellationTokenSource cancel, Task<RunReport> completion)
    {
        RunId = runId;
        _events = events;
        _cancel = cancel;
        Completion = completion;
    }

    /// <summary>The run id.</summary>
    public string RunId { get; }

    /// <summary>The report once the run has ended (also when cancelled). Faults when the run could not go on (its
    /// lease was taken over, its journal could not be written).</summary>
    public Task<RunReport> Completion { get; }

    /// <summary>The sequence number of the last event published so far.</summary>
    public long LastSequence => _events.LastSequence;

    /// <summary>Events after sequence <paramref name="after"/>, then live until the run ends; see
    /// <see cref="RunEventStream.Subscribe"/> for <paramref name="capacity"/> (null: lossless; a number: drop-oldest).</summary>
    public RunEventSubscription Subscribe(long after = 0, int? capacity = null) => _events.Subscribe(after, capacity);

    /// <summary>Every event after sequence <paramref name="after"/>, losing none, until the run ends (an SSE stream
    /// resumed with <c>Last-Event-ID: n</c> reads from <c>n</c>).</summary>
    public async IAsyncEnumerable<RunEvent> ReadEventsAsync(long after = 0, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var subscription = _events.Subscribe(after);
        await foreach (var e in subscription.ReadAllAsync(cancellationToken))
        {
            yield return e;
        }
    }

    /// <summary>Asks the run to stop: nothing new starts, running attempts are cancelled, and <see cref="Completion"/>
    /// still yields a report (status <c>cancelled</c>).</summary>
    public void Cancel()
    {
        try
        {
            _cancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run already ended.
        }
    }
}
