namespace Fanout.Storage;

/// <summary>
/// The durable journal of runs and the result cache. Every write goes through <see cref="AppendAsync"/>: one batch is
/// one transaction, so the scheduler can write everything that happened in one turn of its loop at once and act only
/// after the store returns (journal-first). A run is driven by one owner at a time, who holds its lease (see
/// <see cref="RunLease"/>); batches written under a lease are applied only while its epoch is the run's. Implementations: <see cref="InMemoryRunStore"/>, SQLite, PostgreSQL; all
/// pass the same contract suite (tests/Fanout.Tests/Storage/RunStoreContract.cs).
/// </summary>
public interface IRunStore : IAsyncDisposable
{
    /// <summary>Writes <paramref name="batch"/> atomically: when this completes, all of it is durable (as durable as
    /// the implementation promises), and none of it is if it throws. Rows are upserted by their keys. When the batch
    /// carries a <see cref="JournalBatch.Lease"/> whose epoch is no longer its run's, nothing is written and it throws
    /// <see cref="RunOwnershipLostException"/>.</summary>
    Task AppendAsync(JournalBatch batch, CancellationToken cancellationToken = default);

    /// <summary>One run's row, or null.</summary>
    Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Runs, newest first (by start time, then id).</summary>
    Task<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default);

    /// <summary>Everything journaled for one run (run, instances, attempts), or null when there is no such run.
    /// Outputs stored by hash are resolved.</summary>
    Task<RunJournal?> LoadAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>A run's events in the order they were appended.</summary>
    Task<IReadOnlyList<EventRecord>> ReadEventsAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>Takes the owner lease of run <paramref name="runId"/> for <paramref name="owner"/>, until now plus
    /// <paramref name="duration"/>, if it is free — never taken, released or expired — or still the lease of epoch
    /// <paramref name="replacing"/> (an owner the caller knows to be gone). One conditional write: of any number of
    /// concurrent takers, in any process, exactly one gets it, and each take increments the run's epoch. The run need
    /// not have been journaled yet.</summary>
    /// <returns>The new lease, or (not taken) the lease in force.</returns>
    Task<LeaseClaim> TryTakeLeaseAsync(string runId, RunOwner owner, TimeSpan duration, long? replacing = null,
        CancellationToken cancellationToken = default);

    /// <summary>Extends <paramref name="lease"/> to now plus <paramref name="duration"/> if its epoch is still the run's
    /// (even when it had expired meanwhile: nobody took over); null when another owner has taken the run.</summary>
    Task<RunLease?> RenewLeaseAsync(RunLease lease, TimeSpan duration, CancellationToken cancellationToken = default);

    /// <summary>Ends <paramref name="lease"/> now if its epoch is still the run's, so the next owner need not wait for it
    /// to expire. Its epoch is never handed out again.</summary>
    Task ReleaseLeaseAsync(RunLease lease, CancellationToken cancellationToken = default);

    /// <summary>Run <paramref name="runId"/>'s current or last lease, or null when it was never taken.</summary>
    Task<RunLease?> GetLeaseAsync(string runId, CancellationToken cancellationToken = default);

    /// <summary>The cached result for <paramref name="key"/>, or null.</summary>
    Task<CacheEntry?> GetCachedAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Upserts <paramref name="items"/> (by <see cref="BatchItemRecord.ItemKey"/>) in one transaction. A store
    /// that cannot journal batches throws <see cref="NotSupportedException"/>, and batch prompts then cannot run.</summary>
    Task RecordBatchItemsAsync(IReadOnlyList<BatchItemRecord> items, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not journal Batch API items");

    /// <summary>The journaled batch item with key <paramref name="itemKey"/>, or null.</summary>
    Task<BatchItemRecord?> FindBatchItemAsync(string itemKey, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not journal Batch API items");
}
