using System.Threading.Channels;

namespace Fanout;

/// <summary>
/// One run's events, in order, for any number of readers: each <see cref="Subscribe"/> replays what was published after a
/// sequence number and then follows live, as a <see cref="ChannelReader{T}"/>. Publishing never waits for a reader: a
/// lossless subscription buffers without bound, a bounded one drops its oldest unread event and counts it (a live view
/// would rather skip ahead than fall behind). The scheduler publishes only what the journal already holds, so the
/// journal is not a reader here: it is the write-ahead step every event passes first (see docs/durability.md).
/// </summary>
public sealed class RunEventStream
{
    private readonly Lock _lock = new();
    private readonly List<RunEvent> _history = [];
    private readonly List<RunEventSubscription> _subscribers = [];
    private readonly long _first;
    private bool _completed;

    /// <summary>A stream whose first event will be <paramref name="lastSequence"/> + 1 (a resumed run continues its
    /// journal's numbering, so a reader's <c>Last-Event-ID</c> stays meaningful across the resume).</summary>
    public RunEventStream(long lastSequence = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lastSequence);
        _first = lastSequence + 1;
        LastSequence = lastSequence;
    }

    /// <summary>The sequence number of the last event published (or the starting point, before any).</summary>
    public long LastSequence { get; private set; }

    /// <summary>Whether the run has ended: readers get what is left and then complete.</summary>
    public bool IsCompleted
    {
        get
        {
            lock (_lock)
            {
                return _completed;
            }
        }
    }

    /// <summary>Publishes <paramref name="e"/>, which must carry the next sequence number (the scheduler numbers events
    /// when it journals them, before they are published).</summary>
    /// <exception cref="ArgumentException">The sequence number is not <see cref="LastSequence"/> + 1.</exception>
    /// <exception cref="InvalidOperationException">The stream was completed.</exception>
    public void Publish(RunEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        lock (_lock)
        {
            if (_completed)
            {
                throw new InvalidOperationException("the run's event stream is complete");
            }

            if (e.Sequence != LastSequence + 1)
            {
                throw new ArgumentException($"event {e.Sequence} published after {LastSequence}: events are published in order, without gaps", nameof(e));
            }

            LastSequence = e.Sequence;
            _history.Add(e);
            foreach (var subscriber in _subscribers)
            {
                subscriber.Offer(e);
            }
        }
    }

    /// <summary>Ends the stream: every reader completes once it has read what was published.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            _completed = true;
            foreach (var subscriber in _subscribers)
            {
                subscriber.Finish();
            }

            _subscribers.Clear();
        }
    }

    /// <summary>Reads every event after sequence <paramref name="after"/> (0: from the start), then follows the run.
    /// <paramref name="capacity"/> null never loses an event (the journal's readers, the report, a log); a number keeps
    /// at most that many unread, dropping the oldest (views), and counts what it dropped.</summary>
    public RunEventSubscription Subscribe(long after = 0, int? capacity = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(after);
        if (capacity is { } c)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(c, 1, nameof(capacity));
        }

        var subscription = new RunEventSubscription(this, capacity);
        lock (_lock)
        {
            // Replay and joining happen under the publisher's lock: nothing published in between is missed or doubled.
            for (var i = (int)Math.Max(0, after + 1 - _first); i < _history.Count; i++)
            {
                subscription.Offer(_history[i]);
            }

            if (_completed)
            {
                subscription.Finish();
            }
            else
            {
                _subscribers.Add(subscription);
            }
        }

        return subscription;
    }

    internal void Remove(RunEventSubscription subscription)
    {
        lock (_lock)
        {
            _subscribers.Remove(subscription);
        }
    }
}

/// <summary>One reader of a <see cref="RunEventStream"/>. Dispose it to stop following.</summary>
public sealed class RunEventSubscription : IDisposable
{
    private readonly RunEventStream _stream;
    private readonly Channel<RunEvent> _channel;
    private long _dropped;

    internal RunEventSubscription(RunEventStream stream, int? capacity)
    {
        _stream = stream;
        _channel = capacity is { } size
            ? Channel.CreateBounded<RunEvent>(
                new BoundedChannelOptions(size) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true },
                _ => Interlocked.Increment(ref _dropped))
            : Channel.CreateUnbounded<RunEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    }

    /// <summary>The events, in order.</summary>
    public ChannelReader<RunEvent> Reader => _channel.Reader;

    /// <summary>How many events a bounded subscription dropped because its reader was behind (always 0 when lossless).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The events as an async sequence, ending when the run ends.</summary>
    public IAsyncEnumerable<RunEvent> ReadAllAsync(CancellationToken cancellationToken = default) => _channel.Reader.ReadAllAsync(cancellationToken);

    /// <summary>Stops following; what was already delivered can still be read.</summary>
    public void Dispose()
    {
        _stream.Remove(this);
        Finish();
    }

    internal void Offer(RunEvent e) => _channel.Writer.TryWrite(e);

    internal void Finish() => _channel.Writer.TryComplete();
}
