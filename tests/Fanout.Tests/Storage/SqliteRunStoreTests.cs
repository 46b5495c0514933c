using System.Text.Json;
using Fanout.Storage;
using Fanout.Storage.Sqlite;

namespace Fanout.Tests.Storage;

/// <summary>The store contract against a real SQLite file in a temporary directory, plus SQLite's own promises.</summary>
public sealed class SqliteRunStoreTests : RunStoreContract, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fanout-sqlite-").FullName;

    private string DbPath => Path.Combine(_directory, "nested", "fanout.db");

    protected override Task<IRunStore> CreateStoreAsync() => Task.FromResult<IRunStore>(SqliteRunStore.Open(DbPath, time: Clock));

    protected override async Task<IRunStore> ReopenAsync(IRunStore store)
    {
        await store.DisposeAsync();
        return SqliteRunStore.Open(DbPath, time: Clock);
    }

    protected override Task<IRunStore> OpenAnotherAsync() => Task.FromResult<IRunStore>(SqliteRunStore.Open(DbPath, time: Clock));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Opening_creates_the_directory_and_applies_every_migration_once()
    {
        var store = (SqliteRunStore)Store;
        Assert.True(File.Exists(DbPath));
        Assert.Equal(SqliteMigrations.Latest, store.SchemaVersion());
        await using var again = SqliteRunStore.Open(DbPath);
        Assert.Equal(SqliteMigrations.Latest, again.SchemaVersion());
    }

    [Fact]
    public async Task The_database_is_in_wal_mode()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=False");
        connection.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task A_large_result_repeated_across_instances_is_stored_once()
    {
        var big = JsonSerializer.Serialize(new string('z', OutputBlobs.InlineLimit + 1));
        var batch = new JournalBatch();
        batch.Runs.Add(Run("r1"));
        batch.Instances.Add(Instance("r1", "a", TaskState.Succeeded, big));
        batch.Instances.Add(Instance("r1", "b", TaskState.Succeeded, big));
        batch.Cache.Add(new CacheEntry { Key = "k", ResultJson = big });
        await Store.AppendAsync(batch);
        Assert.Equal(1, ((SqliteRunStore)Store).BlobCount());
    }

    [Fact]
    public void An_unknown_synchronous_mode_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => SqliteRunStore.Open(DbPath, "OFF"));
        Assert.Contains("FULL, NORMAL or EXTRA", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_stores_on_one_file_can_write_at_the_same_time()
    {
        await using var other = SqliteRunStore.Open(DbPath);
        async Task WriteAsync(IRunStore store, string run)
        {
            await Task.Yield();
            for (var i = 0; i < 50; i++)
            {
                var batch = new JournalBatch();
                batch.Runs.Add(Run(run));
                batch.Instances.Add(Instance(run, $"t{i}", TaskState.Succeeded));
                await store.AppendAsync(batch);
            }
        }

        await Task.WhenAll(Task.Run(() => WriteAsync(Store, "r1")), Task.Run(() => WriteAsync(other, "r2")));

        Assert.Equal(50, (await Store.LoadAsync("r1"))!.Instances.Length);
        Assert.Equal(50, (await Store.LoadAsync("r2"))!.Instances.Length);
    }
}
