using Fanout.Storage;
using Fanout.Storage.Postgres;
using Fanout.Tests.Storage;
using Npgsql;

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

    protected override async Task<IRunStore> OpenAnotherAsync() => await PostgresRunStore.OpenAsync(_database!.ConnectionString);

    /// <summary>Leases are timed by the database's now(), which a test cannot move: the leases move back instead.</summary>
    protected override async Task PassAsync(TimeSpan time)
    {
        await using var connection = new NpgsqlConnection(_database!.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("UPDATE fanout_run_leases SET since = since - @by, expires_at = expires_at - @by", connection);
        command.Parameters.AddWithValue("by", time);
        await command.ExecuteNonQueryAsync();
    }

    [StoreFact]
    public async Task A_database_migrated_by_a_newer_fanout_is_refused_naming_it()
    {
        await using (var connection = new NpgsqlConnection(_database!.ConnectionString))
        {
            await connection.OpenAsync();
            await using var newer = new NpgsqlCommand($"INSERT INTO fanout_schema_version (version) VALUES ({Migrations.Latest + 1})", connection);
            await newer.ExecuteNonQueryAsync();
        }

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => PostgresRunStore.OpenAsync(_database.ConnectionString));

        var target = new NpgsqlConnectionStringBuilder(_database.ConnectionString);
        Assert.Contains($"{target.Host}:{target.Port}/{target.Database}", e.Message, StringComparison.Ordinal);
        Assert.Contains($"was migrated by a newer Fanout (schema version {Migrations.Latest + 1}", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Runs after the contract's own cleanup closed the store.</summary>
    public void Dispose() => _database?.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
