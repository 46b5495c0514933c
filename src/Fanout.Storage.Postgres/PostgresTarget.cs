using Npgsql;

namespace Fanout.Storage.Postgres;

/// <summary>Where a PostgreSQL store lives: a <c>postgres://user[:password]@host[:port]/database</c> URL or an Npgsql
/// connection string (<c>Host=…;Username=…;Database=…</c>).</summary>
public static class PostgresTarget
{
    /// <summary>Whether <paramref name="store"/> names a PostgreSQL store rather than a file.</summary>
    public static bool IsPostgres(string? store) =>
        store is not null && (store.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
            || store.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
            || store.Contains("Host=", StringComparison.OrdinalIgnoreCase));

    /// <summary>The Npgsql connection string for <paramref name="store"/>; throws <see cref="FormatException"/> with
    /// what is wrong (never echoing a password).</summary>
    public static string ToConnectionString(string store)
    {
        ArgumentException.ThrowIfNullOrEmpty(store);
        if (!store.Contains("://", StringComparison.Ordinal))
        {
            try
            {
                return new NpgsqlConnectionStringBuilder(store).ConnectionString;
            }
            catch (ArgumentException e)
            {
                throw new FormatException($"invalid PostgreSQL connection string: {e.Message}", e);
            }
        }

        if (!Uri.TryCreate(store, UriKind.Absolute, out var uri) || uri.Scheme is not ("postgres" or "postgresql") || uri.Host.Length == 0)
        {
            throw new FormatException("invalid PostgreSQL URL: expected postgres://user[:password]@host[:port]/database");
        }

        var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0)
        {
            builder.Username = Uri.UnescapeDataString(userInfo[0]);
        }

        if (userInfo.Length == 2)
        {
            builder.Password = Uri.UnescapeDataString(userInfo[1]);
        }

        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        builder.Database = database.Length > 0 ? database : "postgres";
        return builder.ConnectionString;
    }
}
