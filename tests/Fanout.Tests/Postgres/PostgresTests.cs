using Npgsql;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Fanout.Tests.Postgres;

/// <summary>Where the PostgreSQL tests find a server: <c>FANOUT_TEST_POSTGRES</c>, a connection string to a role that
/// may create databases. ./test.sh starts a throwaway server and sets it, so CI always runs these tests.</summary>
internal static class PostgresTests
{
    public const string Variable = "FANOUT_TEST_POSTGRES";

    public static string? ConnectionString => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    /// <summary>Why PostgreSQL tests cannot run here, or null when they can.</summary>
    public static string? SkipReason => ConnectionString is null
        ? $"{Variable} is not set: no PostgreSQL server to test against (./test.sh starts one and sets it)"
        : null;
}

/// <summary>A test that needs a PostgreSQL server: skipped, with the reason, when <c>FANOUT_TEST_POSTGRES</c> is unset.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PostgresFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when there is no server.</summary>
    public PostgresFactAttribute()
    {
        if (PostgresTests.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}

/// <summary>Marks a test class whose every test needs PostgreSQL, including tests it inherits from a shared contract
/// suite written with <see cref="StoreFactAttribute"/>.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class NeedsPostgresAttribute : Attribute;

/// <summary>A contract-suite test: an ordinary fact, skipped (with the reason) in a <see cref="NeedsPostgresAttribute"/>
/// class when there is no PostgreSQL server. xunit 2 decides skipping per attribute, and the attribute sits on the base
/// class's method, so the discoverer looks at the concrete class instead.</summary>
[AttributeUsage(AttributeTargets.Method)]
[XunitTestCaseDiscoverer("Fanout.Tests.Postgres.StoreFactDiscoverer", "Fanout.Tests")]
public sealed class StoreFactAttribute : FactAttribute;

/// <summary>Discovers <see cref="StoreFactAttribute"/> tests.</summary>
public sealed class StoreFactDiscoverer(IMessageSink diagnosticMessageSink) : FactDiscoverer(diagnosticMessageSink)
{
    /// <inheritdoc />
    public override IEnumerable<IXunitTestCase> Discover(ITestFrameworkDiscoveryOptions discoveryOptions, ITestMethod testMethod, IAttributeInfo factAttribute)
    {
        if (testMethod.TestClass.Class.GetCustomAttributes(typeof(NeedsPostgresAttribute)).Any() && PostgresTests.SkipReason is { } reason)
        {
            return [new XunitSkippedDataRowTestCase(DiagnosticMessageSink, discoveryOptions.MethodDisplayOrDefault(),
                discoveryOptions.MethodDisplayOptionsOrDefault(), testMethod, reason)];
        }

        return base.Discover(discoveryOptions, testMethod, factAttribute);
    }
}

/// <summary>A schema of its own for one test (the tables of a whole store, reached through the connection's search
/// path), created on the server <c>FANOUT_TEST_POSTGRES</c> names and dropped on dispose. A schema rather than a
/// database: creating a database takes about a second. LISTEN/NOTIFY is per database, so concurrent tests may wake
/// each other's workers — which only makes them look for work.</summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private readonly string _admin;
    private readonly string _name;

    private TestDatabase(string admin, string name, string connectionString)
    {
        _admin = admin;
        _name = name;
        ConnectionString = connectionString;
    }

    /// <summary>Connection string to the new database.</summary>
    public string ConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync()
    {
        var admin = PostgresTests.ConnectionString ?? throw new InvalidOperationException(PostgresTests.SkipReason);
        var name = $"fanout_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE SCHEMA {name}", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new TestDatabase(admin, name, new NpgsqlConnectionStringBuilder(admin) { SearchPath = name }.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {_name} CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }
}
