using System.Diagnostics;
using System.Globalization;
using System.Text;
using Fanout.Plans;
using Fanout.Storage.Postgres;
using Fanout.Storage.Postgres.Distributed;
using Npgsql;

namespace Fanout.Bench;

/// <summary>
/// Distributed throughput: no-op tasks (merge tasks of a constant) submitted to PostgreSQL and run by W workers in
/// this process, each with its own connection pool, coordinating only through the database (claims, leases,
/// completions, LISTEN/NOTIFY). Each run uses a fresh schema. Usage:
///   dotnet run -c Release --project bench/Fanout.Bench -- postgres --store "Host=…;Username=…;Database=…"
///       [--tasks 20000] [--workers 4] [--concurrency 256] [--runs 3] [--claim-batch 128] [--completion-batch 256]
/// </summary>
internal static class PostgresBench
{
    public static async Task RunAsync(string[] args)
    {
        var store = Value(args, "--store") ?? throw new ArgumentException("--store is required");
        var tasks = int.Parse(Value(args, "--tasks") ?? "20000", CultureInfo.InvariantCulture);
        var workers = int.Parse(Value(args, "--workers") ?? "4", CultureInfo.InvariantCulture);
        var concurrency = int.Parse(Value(args, "--concurrency") ?? "256", CultureInfo.InvariantCulture);
        var runs = int.Parse(Value(args, "--runs") ?? "3", CultureInfo.InvariantCulture);
        // 1 and 1 show what batching buys: one claim and one completion transaction per task.
        var claimBatch = int.Parse(Value(args, "--claim-batch") ?? "128", CultureInfo.InvariantCulture);
        var completionBatch = int.Parse(Value(args, "--completion-batch") ?? "256", CultureInfo.InvariantCulture);
        var yaml = Plan(tasks);
        var graph = TaskGraph.Compile(PlanLoader.Parse(yaml, "bench.yaml"));

        Console.WriteLine($"# PostgreSQL workers — {tasks:N0} no-op tasks, {workers} workers (in-process), run concurrency {concurrency}, claim batch {claimBatch}, completion batch {completionBatch}, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine();
        Console.WriteLine("| run | submit (ms) | run (ms) | tasks/s | attempts |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: |");
        var best = 0.0;
        for (var r = 1; r <= runs; r++)
        {
            var schema = $"fanout_bench_{Guid.NewGuid():N}";
            await ExecuteAsync(store, $"CREATE SCHEMA {schema}");
            var connection = new NpgsqlConnectionStringBuilder(PostgresTarget.ToConnectionString(store)) { SearchPath = schema }.ConnectionString;
            try
            {
                var databases = new List<PostgresDatabase>();
                for (var w = 0; w < workers; w++)
                {
                    databases.Add(await PostgresDatabase.OpenAsync(connection));
                }

                var runId = $"bench-{r}";
                var watch = Stopwatch.StartNew();
                await DistributedRuns.SubmitAsync(databases[0], new Submission
                {
                    RunId = runId, Graph = graph, PlanText = yaml, PlanPath = "bench.yaml", BaseDirectory = Environment.CurrentDirectory, Concurrency = concurrency,
                });
                var submitMs = watch.Elapsed.TotalMilliseconds;
                watch.Restart();
                var pool = databases.Select((d, w) => new DistributedWorker(d, new WorkerOptions
                {
                    WorkerId = $"bench-w{w}",
                    Concurrency = concurrency / workers,
                    ClaimBatch = claimBatch,
                    CompletionBatch = completionBatch,
                    ExitWhenIdle = true,
                    Services = _ => new RunServices(ExecutorRegistry.CreateDefault()),
                    OutputDirectory = _ => Path.GetTempPath(),
                })).ToList();
                await Task.WhenAll(pool.Select(p => p.RunAsync()));
                var runMs = watch.Elapsed.TotalMilliseconds;
                var status = await DistributedRuns.WaitAsync(databases[0], runId, TimeSpan.FromSeconds(1));
                if (status != "succeeded")
                {
                    throw new InvalidOperationException($"run {status}");
                }

                var rate = tasks / (runMs / 1000);
                best = Math.Max(best, rate);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {r} | {submitMs:F0} | {runMs:F0} | {rate:N0} | {pool.Sum(p => p.Completed):N0} |"));
                foreach (var database in databases)
                {
                    await database.DisposeAsync();
                }
            }
            finally
            {
                NpgsqlConnection.ClearAllPools();
                await ExecuteAsync(store, $"DROP SCHEMA {schema} CASCADE");
            }
        }

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"best: {best:N0} tasks/s"));
    }

    private static string Plan(int tasks)
    {
        var yaml = new StringBuilder("name: bench\ntasks:\n");
        for (var i = 0; i < tasks; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{ id: t{i}, merge: {i} }}\n");
        }

        return yaml.ToString();
    }

    private static async Task ExecuteAsync(string store, string sql)
    {
        await using var connection = new NpgsqlConnection(PostgresTarget.ToConnectionString(store));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string? Value(string[] args, string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
}
