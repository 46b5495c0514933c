using Fanout.Storage;
using Fanout.Storage.Postgres;
using Fanout.Tests.Storage;

namespace Fanout.Tests.Postgres;

/// <summary>The store contract against <see cref="PostgresRunStore"/>, each test in a database of its own.</summary>
[NeedsPostgres]
public sealed class PostgresRunStoreTests : RunStoreContract, IDisposable
{
    private TestDatabase? _database;

    protected override async Task<IRunStore> CreateStoreAsync()
    {
        _database = await TestDatabase.CreateAsync();
        return await PostgresRunStore.OpenAsync(_database.ConnectionString);
    }

    protected override async Task<IRunStore> ReopenAsync(IRunStore store)
    {
        await store.DisposeAsync();
        return await PostgresRunStore.OpenAsync(_database!.ConnectionString);
    }

    /// <summary>Runs after the contract's own cleanup closed the store.</summary>
    public void Dispose() => _database?.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
