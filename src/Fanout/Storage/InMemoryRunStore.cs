using System.Collections.Immutable;

namespace Fanout.Storage;

/// <summary>
/// A store in process memory: for tests and for runs that need no durability. A batch is applied under one lock, so
/// readers see all of it or none of it, like a transaction; leases are taken and checked under the same lock.
/// </summary>
/// <param name="time">The clock leases expire by; the system clock by default.</param>
public sealed class InMemoryRunStore(TimeProvider? time = null) : IRunStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, RunLease> _leases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, RunRecord> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Run, string Instance), InstanceRecord> _instances = [];
    private readonly Dictionary<(string Run, string Instance, int Attempt), AttemptRecord> _attempts = [];
    private readonly Dictionary<string, List<EventRecord>> _events = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CacheEntry> _cache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BatchItemRecord> _batchItems = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task RecordBatchItemsAsync(IReadOnlyList<BatchItemRecord> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        lock (_lock)
        {
            foreach (var item in items)
            {
                _batchItems[item.ItemKey] = item;
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<BatchItemRecord?> FindBatchItemAsync(string itemKey, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_batchItems.GetValueOrDefault(itemKey));
        }
    }

    /// <inheritdoc />
    public Task AppendAsync(JournalBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            if (batch.Lease is { } lease && _leases.GetValueOrDefault(lease.RunId) is var current && current?.Epoch != lease.Epoch)
            {
                throw new RunOwnershipLostException(lease, Read(current));
            }

            foreach (var run in batch.Runs)
            {
                _runs[run.RunId] = run;
            }

            foreach (var instance in batch.Instances)
            {
                _instances[(instance.RunId, instance.InstanceId)] = instance;
            }

            foreach (var attempt in batch.Attempts)
            {
                _attempts[(attempt.RunId, attempt.InstanceId, attempt.Attempt)] = attempt;
            }

            foreach (var e in batch.Events)
            {
                if (!_events.TryGetValue(e.RunId, out var list))
                {
                    _events[e.RunId] = list = [];
                }

                list.Add(e);
            }

            foreach (var entry in batch.Cache)
            {
                _cache[entry.Key] = entry;
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_runs.GetValueOrDefault(runId));
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_lock)
        {
            IReadOnlyList<RunRecord> runs = _runs.Values
                .Where(r => query.Plan is null || r.Plan == query.Plan)
                .OrderByDescending(r => r.StartedAt).ThenByDescending(r => r.RunId, StringComparer.Ordinal)
                .Take(query.Limit)
                .ToList();
            return Task.FromResult(runs);
        }
    }

    /// <inheritdoc />
    public Task<RunJournal?> LoadAsync(string runId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_runs.TryGetValue(runId, out var run))
            {
                return Task.FromResult<RunJournal?>(null);
            }

            return Task.FromResult<RunJournal?>(new RunJournal
            {
                Run = run,
                Instances = [.. _instances.Values.Where(i => i.RunId == runId)],
                Attempts = [.. _attempts.Values.Where(a => a.RunId == runId)
                    .OrderBy(a => a.InstanceId, StringComparer.Ordinal).ThenBy(a => a.Attempt)],
            });
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<EventRecord>> ReadEventsAsync(string runId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<EventRecord> events = _events.TryGetValue(runId, out var list) ? [.. list] : ImmutableArray<EventRecord>.Empty;
            return Task.FromResult(events);
        }
    }

    /// <inheritdoc />
    public Task<LeaseClaim> TryTakeLeaseAsync(string runId, RunOwner owner, TimeSpan duration, long? replacing = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            var current = _leases.GetValueOrDefault(runId);
            if (current is not null && current.ExpiresAt > now && current.Epoch != replacing)
            {
                return Task.FromResult(new LeaseClaim(false, current with { Held = true }));
            }

            var lease = new RunLease { RunId = runId, Epoch = (current?.Epoch ?? 0) + 1, Owner = owner, Since = now, ExpiresAt = now + duration };
            _leases[runId] = lease;
            return Task.FromResult(new LeaseClaim(true, lease with { Held = true }));
        }
    }

    /// <inheritdoc />
    public Task<RunLease?> RenewLeaseAsync(RunLease lease, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_lock)
        {
            if (_leases.GetValueOrDefault(lease.RunId) is not { } current || current.Epoch != lease.Epoch)
            {
                return Task.FromResult<RunLease?>(null);
            }

            _leases[lease.RunId] = current with { ExpiresAt = _time.GetUtcNow() + duration };
            return Task.FromResult(Read(_leases[lease.RunId]));
        }
    }

    /// <inheritdoc />
    public Task ReleaseLeaseAsync(RunLease lease, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(lease);
        lock (_lock)
        {
            if (_leases.GetValueOrDefault(lease.RunId) is { } current && current.Epoch == lease.Epoch)
            {
                _leases[lease.RunId] = current with { ExpiresAt = _time.GetUtcNow() };
            }
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<RunLease?> GetLeaseAsync(string runId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(Read(_leases.GetValueOrDefault(runId)));
        }
    }

    /// <summary>A stored lease as a reader sees it now (stored ones leave <see cref="RunLease.Held"/> false).</summary>
    private RunLease? Read(RunLease? stored) => stored is null ? null : stored with { Held = stored.ExpiresAt > _time.GetUtcNow() };

    /// <inheritdoc />
    public Task<CacheEntry?> GetCachedAsync(string key, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_cache.GetValueOrDefault(key));
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
