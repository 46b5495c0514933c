using Npgsql;
using NpgsqlTypes;

namespace Fanout.Storage.Postgres;

/// <summary>The conversions every statement of the store and the distributed engine shares: array parameters for
/// <c>unnest</c> batches, and timestamps read back as UTC.</summary>
internal static class PgValues
{
    /// <summary>Adds a <c>text[]</c> parameter (nulls kept).</summary>
    public static void Text(NpgsqlParameterCollection p, string name, IEnumerable<string?> values) =>
        p.AddWithValue(name, NpgsqlDbType.Array | NpgsqlDbType.Text, values.ToArray());

    /// <summary>Adds a <c>timestamptz[]</c> parameter (nulls kept).</summary>
    public static void Times(NpgsqlParameterCollection p, string name, IEnumerable<DateTimeOffset?> values) =>
        p.AddWithValue(name, NpgsqlDbType.Array | NpgsqlDbType.TimestampTz, values.Select(v => v?.UtcDateTime).ToArray());

    /// <summary>A <c>timestamptz</c> column as a UTC <see cref="DateTimeOffset"/>, or null.</summary>
    public static DateTimeOffset? Timestamp(NpgsqlDataReader r, int i) =>
        r.IsDBNull(i) ? null : new DateTimeOffset(r.GetDateTime(i), TimeSpan.Zero);
}
