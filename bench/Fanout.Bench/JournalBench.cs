// Journaling cost per task: the same no-op graph run with no store, the in-memory store, and SQLite with
// synchronous=FULL (the default) and NORMAL, and FULL with every batch fenced by a run lease (as `fanout run` writes).
// Usage:
//   dotnet run -c Release --project bench/Fanout.Bench -- journal [--tasks N] [--runs R]
using System.Diagnostics;
using System.Globalization;
using Fanout;
using Fanout.Storage;
using Fanout.Storage.Sqlite;

internal static class JournalBench
{
    public static async Task RunAsync(string[] args)
    {
        var tasks = Arg(args, "--tasks", 20_000);
        var runs = Arg(args, "--runs", 3);
        var noop = new DelegateBody((_, _) => ValueTask.FromResult<object?>(null));
        var builder = new PlanBuilder("journal");
        for (var i = 0; i < tasks; i++)
        {
            // Layered like the scheduler bench: each task needs two tasks about 100 places back.
            string[] needs = i >= 100 ? [$"t{i - 100}", $"t{i - 100 + (i % 7) + 1}"] : [];
            builder.Add(new TaskDefinition { Id = $"t{i}", Body = noop, Needs = [.. needs] });
        }

        var graph = TaskGraph.Compile(builder.Build());
        var directory = Directory.CreateTempSubdirectory("fanout-journal-bench-").FullName;
        Console.WriteLine($"# Journaling cost — {tasks:N0} no-op tasks (layered), concurrency 64, best of {runs} runs, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        Console.WriteLine();
        Console.WriteLine("| store | wall (ms) | µs/task | tasks/s | transactions | tasks/transaction |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        try
        {
            (string Name, Func<int, IRunStore?> Open, bool Owned)[] stores =
            [
                ("none", _ => null, false),
                ("in-memory", _ => new InMemoryRunStore(), false),
                ("SQLite synchronous=FULL", r => SqliteRunStore.Open(Path.Combine(directory, $"full-{r}.db")), false),
                ("SQLite synchronous=FULL, owned (fenced batches)", r => SqliteRunStore.Open(Path.Combine(directory, $"owned-{r}.db")), true),
                ("SQLite synchronous=NORMAL", r => SqliteRunStore.Open(Path.Combine(directory, $"normal-{r}.db"), "NORMAL"), false),
            ];
            var run = 0;
            foreach (var (name, open, owned) in stores)
            {
                var best = double.MaxValue;
                var transactions = 0L;
                for (var r = -1; r < runs; r++)
                {
                    // r = -1 is the warm-up (JIT, SQLite page cache).
                    var store = open(run++);
                    var counting = store is null ? null : new CountingStore(store);
                    var ownership = owned ? new RunOwnership(counting!, (await RunOwnership.TryTakeAsync(counting!, "bench")).Lease, TimeProvider.System) : null;
                    var watch = Stopwatch.StartNew();
                    var report = await new Scheduler(graph, new RunOptions { Concurrency = 64, Seed = 1, Store = counting, RunId = "bench", Ownership = ownership }).RunAsync();
                    watch.Stop();
                    if (ownership is not null)
                    {
                        await ownership.DisposeAsync();
                    }

                    if (counting is not null)
                    {
                        await counting.DisposeAsync();
                    }

                    if (report.Status != RunStatus.Succeeded)
                    {
                        throw new InvalidOperationException($"run {report.Status}");
                    }

                    if (r >= 0 && watch.Elapsed.TotalMilliseconds < best)
                    {
                        best = watch.Elapsed.TotalMilliseconds;
                        transactions = counting?.Appends ?? 0;
                    }
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {best:F0} | {best * 1000 / tasks:F1} | {tasks / (best / 1000):N0} | {(transactions > 0 ? transactions.ToString("N0", CultureInfo.InvariantCulture) : "-")} | {(transactions > 0 ? (tasks / (double)transactions).ToString("F1", CultureInfo.InvariantCulture) : "-")} |"));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var value = args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        return value is null ? fallback : int.Parse(value, CultureInfo.InvariantCulture);
    }

    /// <summary>Counts batches (= transactions) to show how much the loop's batching groups.</summary>
    private sealed class CountingStore(IRunStore inner) : IRunStore
    {
        public long Appends { get; private set; }

        public Task AppendAsync(JournalBatch batch, CancellationToken cancellationToken = default)
        {
            Appends++;
            return inner.AppendAsync(batch, cancellationToken);
        }

        public Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default) => inner.GetRunAsync(runId, cancellationToken);

        public Task<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default) => inner.ListRunsAsync(query, cancellationToken);

        public Task<RunJournal?> LoadAsync(string runId, CancellationToken cancellationToken = default) => inner.LoadAsync(runId, cancellationToken);

        public Task<IReadOnlyList<EventRecord>> ReadEventsAsync(string runId, CancellationToken cancellationToken = default) => inner.ReadEventsAsync(runId, cancellationToken);

        public Task<CacheEntry?> GetCachedAsync(string key, CancellationToken cancellationToken = default) => inner.GetCachedAsync(key, cancellationToken);

        public Task<LeaseClaim> TryTakeLeaseAsync(string runId, RunOwner owner, TimeSpan duration, long? replacing = null,
            CancellationToken cancellationToken = default) => inner.TryTakeLeaseAsync(runId, owner, duration, replacing, cancellationToken);

        public Task<RunLease?> RenewLeaseAsync(RunLease lease, TimeSpan duration, CancellationToken cancellationToken = default) =>
            inner.RenewLeaseAsync(lease, duration, cancellationToken);

        public Task ReleaseLeaseAsync(RunLease lease, CancellationToken cancellationToken = default) => inner.ReleaseLeaseAsync(lease, cancellationToken);

        public Task<RunLease?> GetLeaseAsync(string runId, CancellationToken cancellationToken = default) => inner.GetLeaseAsync(runId, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
