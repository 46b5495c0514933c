using Fanout.Storage;
using Fanout.Storage.Sqlite;

namespace Fanout.Cli.Storage;

/// <summary>
/// Maps a store string (<c>--store</c>, else <c>FANOUT_STORE</c>, else the default) to an <see cref="IRunStore"/>:
/// <c>memory</c> or <c>none</c> keeps nothing after the run; <c>sqlite:PATH</c> or a path is a SQLite file (default
/// <c>.fanout/fanout.db</c> under the working directory). Other back ends plug in with <see cref="Register"/>
/// (PostgreSQL: <c>postgres://…</c> or <c>Host=…</c>), so this class does not depend on them.
/// </summary>
public static class StoreFactory
{
    /// <summary>The environment variable read when <c>--store</c> is not given.</summary>
    public const string EnvironmentVariable = "FANOUT_STORE";

    private static readonly List<(Func<string, bool> Matches, Func<string, IRunStore> Open)> Extra = [];

    /// <summary>Adds a back end: <paramref name="open"/> is used for store strings <paramref name="matches"/> accepts
    /// (checked before the built-in ones, latest registration first).</summary>
    public static void Register(Func<string, bool> matches, Func<string, IRunStore> open)
    {
        ArgumentNullException.ThrowIfNull(matches);
        ArgumentNullException.ThrowIfNull(open);
        lock (Extra)
        {
            Extra.Insert(0, (matches, open));
        }
    }

    /// <summary>The store string in effect: <paramref name="option"/>, else <c>FANOUT_STORE</c>, else the default file.</summary>
    internal static string Resolve(string? option, CliEnvironment env) =>
        option is { Length: > 0 } ? option
        : env.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnv ? fromEnv
        : SqliteRunStore.DefaultPath;

    /// <summary>Opens the store <paramref name="spec"/> names; relative SQLite paths are under the working directory.</summary>
    internal static IRunStore Open(string spec, CliEnvironment env)
    {
        lock (Extra)
        {
            foreach (var (matches, open) in Extra)
            {
                if (matches(spec))
                {
                    return open(spec);
                }
            }
        }

        if (spec is "memory" or "none")
        {
            return new InMemoryRunStore(env.Time);
        }

        if (spec.Contains("://", StringComparison.Ordinal) || spec.StartsWith("Host=", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"no store back end understands '{Redact(spec)}' (built in: memory, sqlite:PATH or a file path)");
        }

        var path = spec.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase) ? spec["sqlite:".Length..] : spec;
        return SqliteRunStore.Open(env.FullPath(path), time: env.Time);
    }

    /// <summary>Opens the store, or prints why it cannot be opened and returns null (the command then exits 2).</summary>
    internal static IRunStore? TryOpen(string? option, CliEnvironment env)
    {
        var spec = Resolve(option, env);
        try
        {
            return Open(spec, env);
        }
        catch (InvalidDataException e)
        {
            // Not a store of this Fanout (a garbage file, another application's database, a newer schema): the message
            // names the file.
            env.Error.WriteLine($"error: {Redact(e.Message)}");
            return null;
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException
                                   or InvalidOperationException)
        {
            env.Error.WriteLine($"error: cannot open the store '{Redact(spec)}': {Redact(e.Message)}");
            return null;
        }
    }

    /// <summary>Store strings may carry a password (<c>postgres://user:secret@host</c>, <c>Password=…</c>): never print it.</summary>
    internal static string Redact(string text) =>
        System.Text.RegularExpressions.Regex.Replace(
            System.Text.RegularExpressions.Regex.Replace(text, @"(://[^:/@\s]*:)[^@\s]*@", "$1***@"),
            @"(?i)(password\s*=\s*)[^;\s]*", "$1***");
}
