using Npgsql;

namespace Fanout.Storage.Postgres;

/// <summary>One PostgreSQL database holding Fanout's journal and distributed work, migrated to the latest schema on
/// open. Thread-safe; connections come from a pool.</summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    private PostgresDatabase(NpgsqlDataSource source, string description)
    {
        Source = source;
        Description = description;
    }

    /// <summary>The connection pool.</summary>
    internal NpgsqlDataSource Source { get; }

    /// <summary>host:port/database, for messages (never the password).</summary>
    public string Description { get; }

    /// <summary>Connects to <paramref name="store"/> (a <c>postgres://</c> URL or connection string) and applies any
    /// migration not yet applied.</summary>
    public static async Task<PostgresDatabase> OpenAsync(string store, CancellationToken cancellationToken = default)
    {
        var builder = new NpgsqlConnectionStringBuilder(PostgresTarget.ToConnectionString(store));
        // Workers keep a listening connection and several in flight; Npgsql's default of 100 is ample per process.
        var source = NpgsqlDataSource.Create(builder);
        var database = new PostgresDatabase(source, $"{builder.Host}:{builder.Port}/{builder.Database}");
        try
        {
            await Migrations.ApplyAsync(source, database.Description, cancellationToken);
        }
        catch
        {
            await source.DisposeAsync();
            throw;
        }

        return database;
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => Source.DisposeAsync();
}
