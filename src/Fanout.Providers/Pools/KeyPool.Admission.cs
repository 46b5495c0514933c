namespace Fanout.Providers.Pools;

public sealed partial class KeyPool
{
    private static readonly RequestEstimate Smallest = new(0, 0);

    /// <summary>Queues a request until a key can take it; throws when every key has been disabled.</summary>
    private async Task<Grant> Admit(RequestEstimate estimate, string? sticky, CancellationToken cancellationToken)
    {
        var waiter = new Waiter(estimate, sticky, _time.GetUtcNow());
        lock (_gate)
        {
            waiter.Node = _queue.AddLast(waiter);
        }

        Pump();
        await using (cancellationToken.Register(() => Abandon(waiter)))
        {
            var grant = await waiter.Completion.Task;
            if (cancellationToken.IsCancellationRequested)
            {
                Finish(grant.Key, estimate, null, null);
                cancellationToken.ThrowIfCancellationRequested();
            }

            return grant;
        }
    }

    private void Abandon(Waiter waiter)
    {
        lock (_gate)
        {
            if (waiter.Node?.List is null)
            {
                return;
            }

            _queue.Remove(waiter.Node);
        }

        waiter.Completion.TrySetCanceled();
    }

    /// <summary>
    /// Grants every queued request that fits a key now, in arrival order but skipping those that do not fit (no
    /// head-of-line blocking); reserves ahead for those out of patience; arms the timer for the next change.
    /// </summary>
    private void Pump()
    {
        List<(Waiter Waiter, Grant Grant)>? granted = null;
        List<Waiter>? failed = null;
        List<(Waiter Waiter, string Reason)>? tooLarge = null;
        string? reason = null;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            DateTimeOffset? wake = null;
            if (_keys.All(k => k.Disabled is not null))
            {
                // The provider's own message, as for any request it refuses; the other keys' refusals said the same.
                reason = _lastRejection ?? $"every key of provider '{Provider}' is disabled";
                failed = [.. _queue];
                _queue.Clear();
            }

            // When not even an empty request can go anywhere, only requests out of patience have anything to do.
            var anyOpen = _keys.Any(k => k.WaitFor(Smallest, now) == TimeSpan.Zero);
            for (var node = _queue.First; node is not null;)
            {
                var next = node.Next;
                var waiter = node.Value;
                if (TooLarge(waiter, now) is { } never)
                {
                    // No wait would let it through, and the provider would refuse it outright.
                    _queue.Remove(node);
                    (tooLarge ??= []).Add((waiter, never));
                    node = next;
                    continue;
                }

                var patient = now - waiter.Since < _options.Patience;
                if (!anyOpen && patient)
                {
                    wake = Earliest(wake, waiter.Since + _options.Patience);
                    if (_keys.Select(k => k.WaitFor(Smallest, now)).Where(w => w is not null).Min() is { } open)
                    {
                        wake = Earliest(wake, now + open);
                    }

                    break;
                }

                var candidates = Candidates(waiter, now);
                KeyState? chosen = null;
                var delay = TimeSpan.Zero;
                TimeSpan? soonest = null;
                KeyState? soonestKey = null;
                List<KeyState>? ready = null;
                foreach (var key in candidates)
                {
                    if (key.WaitFor(waiter.Estimate, now) is not { } wait)
                    {
                        continue;
                    }

                    if (wait == TimeSpan.Zero)
                    {
                        (ready ??= []).Add(key);
                    }
                    else
                    {
                        wake = Earliest(wake, now + wait);
                        if (!key.ReservedAhead && (soonest is null || wait < soonest))
                        {
                            (soonest, soonestKey) = (wait, key);
                        }
                    }
                }

                if (ready is not null)
                {
                    chosen = Route(ready, now);
                }
                else if (!patient && soonestKey is not null)
                {
                    // Out of patience: take the tokens now (the key goes into debt, so smaller requests stop
                    // overtaking) and send when they would have been there.
                    (chosen, delay) = (soonestKey, soonest!.Value);
                    chosen.ReservedAhead = true;
                }
                else if (soonest is not null)
                {
                    wake = Earliest(wake, waiter.Since + _options.Patience);
                }

                if (chosen is not null)
                {
                    chosen.Reserve(waiter.Estimate, now);
                    _queue.Remove(node);
                    (granted ??= []).Add((waiter, new Grant(chosen, now + delay, Ahead: delay > TimeSpan.Zero)));
                    anyOpen = _keys.Any(k => k.WaitFor(Smallest, now) == TimeSpan.Zero);
                }

                node = next;
            }

            Arm(wake, now);
        }

        foreach (var (waiter, grant) in granted ?? [])
        {
            waiter.Completion.TrySetResult(grant);
        }

        foreach (var waiter in failed ?? [])
        {
            waiter.Completion.TrySetException(new TaskFailedException(reason!, retryable: false));
        }

        foreach (var (waiter, never) in tooLarge ?? [])
        {
            waiter.Completion.TrySetException(new TaskFailedException($"request too large for provider '{Provider}': {never}", retryable: false));
        }
    }

    /// <summary>Why no key the request may use could ever take it, or null when one could.</summary>
    private string? TooLarge(Waiter waiter, DateTimeOffset now)
    {
        string? reason = null;
        foreach (var key in Candidates(waiter, now))
        {
            if (key.Disabled is not null)
            {
                continue;
            }

            if (key.NeverFits(waiter.Estimate) is not { } why)
            {
                return null;
            }

            reason ??= why;
        }

        return reason;
    }

    /// <summary>The keys a request may use: all of them, or for a sticky request the one its id hashes to among healthy keys.</summary>
    private IEnumerable<KeyState> Candidates(Waiter waiter, DateTimeOffset now)
    {
        if (_options.Routing != Routing.Sticky || waiter.Sticky is null)
        {
            return _keys;
        }

        // Rendezvous hashing: the same id keeps its key, and losing a key moves only the ids that were on it.
        var healthy = _keys.Where(k => k.Healthy(now)).ToList();
        var pool = healthy.Count > 0 ? healthy : [.. _keys.Where(k => k.Disabled is null)];
        return pool.Count == 0 ? [] : [pool.MaxBy(k => Rendezvous(waiter.Sticky, k.Alias))!];
    }

    private KeyState Route(List<KeyState> ready, DateTimeOffset now)
    {
        switch (_options.Routing)
        {
            case Routing.RoundRobin:
                for (var i = 0; i < _keys.Length; i++)
                {
                    var key = _keys[(_nextInTurn + i) % _keys.Length];
                    if (ready.Contains(key))
                    {
                        _nextInTurn = key.Index + 1;
                        return key;
                    }
                }

                return ready[0];
            case Routing.Weighted:
                // Smooth weighted round-robin (nginx): deterministic, and interleaves instead of sending runs.
                var total = 0.0;
                foreach (var key in ready)
                {
                    _weights[key.Index] += key.Key.Weight;
                    total += key.Key.Weight;
                }

                var pick = ready.MaxBy(k => _weights[k.Index])!;
                _weights[pick.Index] -= total;
                return pick;
            default:
                return ready.MaxBy(k => k.Headroom(now))!;
        }
    }

    private void OnTimer()
    {
        // A timer may fire a little before the clock reads its due time (timer and clock are different sources, and
        // a scaled clock widens the gap). The pump that follows then finds nothing ready yet and asks for a wake-up a
        // moment later; were the fired timer still recorded as armed, that request would be dropped and the queue
        // would wait for ever.
        lock (_gate)
        {
            _timerDue = null;
        }

        Pump();
    }

    private void Arm(DateTimeOffset? wake, DateTimeOffset now)
    {
        if (wake is not { } due)
        {
            return;
        }

        if (_timerDue is { } armed && armed > now && armed <= due)
        {
            return;
        }

        _timerDue = due;
        var delay = due - now;
        _timer.Change(delay > TimeSpan.Zero ? delay : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    private static DateTimeOffset Earliest(DateTimeOffset? a, DateTimeOffset b) => a is { } x && x < b ? x : b;

    private static ulong Rendezvous(string id, string alias)
    {
        // FNV-1a: stable across processes (string.GetHashCode is randomised per process).
        var hash = 14695981039346656037UL;
        foreach (var c in id + "\0" + alias)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }

        return hash;
    }

    private sealed class Waiter(RequestEstimate estimate, string? sticky, DateTimeOffset since)
    {
        public RequestEstimate Estimate { get; } = estimate;

        public string? Sticky { get; } = sticky;

        public DateTimeOffset Since { get; } = since;

        public LinkedListNode<Waiter>? Node { get; set; }

        public TaskCompletionSource<Grant> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A key reserved for a request, and when to send it (later than now only when it reserved ahead).</summary>
    private readonly record struct Grant(KeyState Key, DateTimeOffset SendAt, bool Ahead);
}
