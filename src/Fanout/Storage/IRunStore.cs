namespace Fanout.Storage;

/// <summary>
/// The durable journal of runs and the result cache. Every write goes through <see cref="AppendAsync"/>: one batch is
/// one transaction, so the scheduler can write everything that happened in one turn of its loop at once and act only
/// after the store returns (journal-first). Implementations: <see cref="InMemoryRunStore"/>, SQLite, PostgreSQL; all
/// pass the same contract suite (tests/Fanout.Tests/Storage/RunStoreContract.cs).
/// </summary>
public interface IRunStore : IAsyncDisposable
{
    /// <summary>Writes <paramref name="batch"/> atomically: when this completes, all of it is durable (as durable as
    /// the implementation promises), and none of it is if it throws. Rows are upserted by their keys.</summary>
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

    /// <summary>The cached result for <paramref name="key"/>, or null.</summary>
    Task<CacheEntry?> GetCachedAsync(string key, CancellationToken cancellationToken = default);
}
