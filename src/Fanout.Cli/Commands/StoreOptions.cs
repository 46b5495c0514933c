using System.CommandLine;
using Fanout.Cli.Storage;

namespace Fanout.Cli.Commands;

/// <summary>The options commands that use the journal share.</summary>
internal static class StoreOptions
{
    public static Option<string?> Store() => new("--store")
    {
        Description = $"Where runs are journaled: a SQLite file (default {Fanout.Storage.Sqlite.SqliteRunStore.DefaultPath}), sqlite:PATH, memory, or a registered back end such as postgres://… (default: ${StoreFactory.EnvironmentVariable})",
        HelpName = "STORE",
    };

    public static Option<bool> NoCache() => new("--no-cache") { Description = "Run every task even when the result cache holds its result" };
}
