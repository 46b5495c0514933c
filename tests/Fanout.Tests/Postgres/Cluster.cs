using Fanout.Plans;
using Fanout.Storage.Postgres;
using Fanout.Storage.Postgres.Distributed;
using Fanout.Tests.Support;
using Npgsql;

namespace Fanout.Tests.Postgres;

/// <summary>A schema of its own holding a Fanout store, with helpers to submit plans and start in-process workers.</summary>
internal sealed class Cluster : IAsyncDisposable
{
    private readonly TestDatabase _schema;
    private readonly string _directory = System.IO.Directory.CreateTempSubdirectory("fanout-pg-").FullName;

    private Cluster(TestDatabase schema, PostgresDatabase database)
    {
        _schema = schema;
        Database = database;
    }

    public PostgresDatabase Database { get; }

    public string ConnectionString => _schema.ConnectionString;

    /// <summary>A scratch directory, deleted with the cluster; the plans' base directory.</summary>
    public string Directory => _directory;

    public static async Task<Cluster> CreateAsync()
    {
        var schema = await TestDatabase.CreateAsync();
        return new Cluster(schema, await PostgresDatabase.OpenAsync(schema.ConnectionString));
    }

    /// <summary>Submits <paramref name="yaml"/> as a run; returns its id.</summary>
    public async Task<string> SubmitAsync(string yaml, int? concurrency = null, bool failFast = false, string? inputsJson = null)
    {
        var graph = TaskGraph.Compile(PlanLoader.Parse(yaml, "plan.yaml", _directory));
        var runId = $"run-{Guid.NewGuid():N}";
        await DistributedRuns.SubmitAsync(Database, new Submission
        {
            RunId = runId,
            Graph = graph,
            PlanText = yaml,
            PlanPath = "plan.yaml",
            BaseDirectory = _directory,
            Concurrency = concurrency,
            FailFast = failFast,
            Inputs = inputsJson is null ? default : System.Text.Json.JsonDocument.Parse(inputsJson).RootElement.Clone(),
        });
        return runId;
    }

    /// <summary>A worker whose <c>process</c> tasks run <paramref name="executor"/>.</summary>
    public DistributedWorker Worker(ITaskExecutor executor, string? id = null, int concurrency = 8, TimeSpan? lease = null,
        bool exitWhenIdle = true, Action<string>? log = null, TimeSpan? poll = null) =>
        new(Database, new WorkerOptions
        {
            WorkerId = id ?? $"w-{Guid.NewGuid():N}",
            Concurrency = concurrency,
            Lease = lease ?? TimeSpan.FromSeconds(30),
            ExitWhenIdle = exitWhenIdle,
            Poll = poll ?? TimeSpan.FromMilliseconds(100),
            Services = _ => new RunServices(Sim.Executors.With(executor)),
            OutputDirectory = run => Path.Combine(_directory, run),
            Log = log,
        });

    public async Task<T> ScalarAsync<T>(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = Database.Source.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = Database.Source.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Each instance's state, by instance id.</summary>
    public async Task<Dictionary<string, (string State, string? Error, int Attempts)>> InstancesAsync(string runId)
    {
        var result = new Dictionary<string, (string, string?, int)>(StringComparer.Ordinal);
        await using var command = Database.Source.CreateCommand("SELECT instance_id, state, error, attempts FROM fanout_instances WHERE run_id = @run");
        command.Parameters.AddWithValue("run", runId);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result[reader.GetString(0)] = (reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetInt32(3));
        }

        return result;
    }

    /// <summary>Every attempt as (instance, attempt, outcome, worker).</summary>
    public async Task<List<(string Instance, int Attempt, string Outcome, string? Worker)>> AttemptsAsync(string runId)
    {
        var result = new List<(string, int, string, string?)>();
        await using var command = Database.Source.CreateCommand("SELECT instance_id, attempt, outcome, worker FROM fanout_attempts WHERE run_id = @run ORDER BY instance_id, attempt");
        command.Parameters.AddWithValue("run", runId);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            result.Add((reader.GetString(0), reader.GetInt32(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await Database.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await _schema.DisposeAsync();
        System.IO.Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>Runs <c>process</c> tasks with a function instead of a child process: the engine is what is under test.</summary>
internal sealed class ScriptedExecutor(Func<TaskContext, CancellationToken, ValueTask<TaskResult>> run) : ITaskExecutor
{
    public string Kind => "process";

    public ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken) => run(context, cancellationToken);

    /// <summary>Succeeds with the instance id as output.</summary>
    public static ScriptedExecutor Echo() => new((c, _) => ValueTask.FromResult(TaskResult.FromValue(c.InstanceId)));
}
