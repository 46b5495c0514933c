using Fanout.Storage;
using Fanout.Storage.Sqlite;
using Fanout.Tests.Cli;
using Microsoft.Data.Sqlite;

namespace Fanout.Tests.Durability;

/// <summary>A file given as the store that is not a Fanout store — garbage, another application's SQLite database, a
/// newer Fanout's — is refused by every command that opens the store with one line naming it, and is left untouched.</summary>
public sealed class StoreFileTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    public static TheoryData<string> Commands => ["runs", "show", "resume", "run"];

    private string[] Args(string command, string store) => command switch
    {
        "runs" => ["runs", "--store", store],
        "show" => ["show", "20261202-011500-a1b2c3", "--store", store],
        "resume" => ["resume", "20261202-011500-a1b2c3", "--store", store],
        _ => ["run", _cli.Plan(Cli.Plans.Small), "--store", store],
    };

    private async Task<(CliHarness.Result Result, byte[] Before, byte[] After)> OpenAsync(string command, string file)
    {
        var before = File.ReadAllBytes(file);
        var result = await _cli.RunAsync(Args(command, file));
        return (result, before, File.ReadAllBytes(file));
    }

    /// <summary>Runs <paramref name="sql"/> on the SQLite file <paramref name="file"/> (creating it), as another
    /// program would.</summary>
    private static async Task SqlAsync(string file, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    private static void AssertOneLineError(CliHarness.Result result, string expected)
    {
        Assert.True(result.ExitCode == 2, result.ToString());
        var line = Assert.Single(result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task A_file_that_is_not_sqlite_is_refused_with_one_line_naming_it(string command)
    {
        var file = _cli.FilePath("garbage.db");
        File.WriteAllBytes(file, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251))]);

        var (result, before, after) = await OpenAsync(command, file);

        AssertOneLineError(result, $"'{file}' is not a SQLite database");
        Assert.Equal(before, after);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Another_applications_sqlite_database_is_refused_with_one_line_naming_it_and_left_untouched(string command)
    {
        var file = _cli.FilePath("crm.db");
        await SqlAsync(file, "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers(name) VALUES ('Ada')");

        var (result, before, after) = await OpenAsync(command, file);

        AssertOneLineError(result, $"'{file}' is a SQLite database of another application (tables customers)");
        Assert.Equal(before, after);
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task A_store_written_by_a_newer_fanout_is_refused_with_one_line_naming_it_and_left_untouched(string command)
    {
        var file = _cli.FilePath("newer.db");
        await using (var store = SqliteRunStore.Open(file))
        {
        }

        await SqlAsync(file, $"INSERT INTO schema_migrations(version, applied_at) VALUES ({SqliteMigrations.Latest + 1}, 'later')");

        var (result, before, after) = await OpenAsync(command, file);

        AssertOneLineError(result, $"'{file}' was written by a newer Fanout (schema version {SqliteMigrations.Latest + 1}");
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task A_store_from_before_run_leases_is_upgraded_in_place_and_keeps_its_runs()
    {
        var file = _cli.FilePath("old.db");
        await SqlAsync(file, $"""
            CREATE TABLE schema_migrations(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL);
            {SqliteMigrations.Steps[0].Sql}
            INSERT INTO schema_migrations VALUES (1, 'then');
            INSERT INTO runs(run_id, plan, status, started_at) VALUES ('r1', 'p', 'succeeded', '2026-01-02T03:04:05.0000000+00:00');
            """);

        await using var store = SqliteRunStore.Open(file);

        Assert.Equal(SqliteMigrations.Latest, store.SchemaVersion());
        Assert.Equal("succeeded", (await store.GetRunAsync("r1"))!.Status);
        Assert.True((await store.TryTakeLeaseAsync("r1", RunOwner.Current, RunLease.DefaultDuration)).Taken);
    }
}
