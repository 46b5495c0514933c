// Scheduler overhead: runs graphs of no-op delegate tasks on the real clock and reports wall time per task,
// allocation per task and peak working set. Usage:
//   dotnet run -c Release --project bench/Fanout.Bench -- [--tasks N] [--shape wide|chain|layered|all] [--runs R]
using System.Diagnostics;
using System.Globalization;
using Fanout;

if (args is ["postgres", ..]) { await Fanout.Bench.PostgresBench.RunAsync(args[1..]); return; }
if (args.FirstOrDefault() == "journal") { await JournalBench.RunAsync(args[1..]); return; }
if (args is ["pools", ..]) { await Fanout.Bench.PoolsBench.RunAsync(args[1..]); return; }
if (args is ["redact", ..]) { Fanout.Bench.RedactBench.Run(args[1..]); return; }
if (args is ["burst", ..]) { await Fanout.Bench.BurstBench.RunAsync(args[1..]); return; }
if (args is ["makespan", ..]) { await Fanout.Bench.MakespanBench.RunAsync(args[1..]); return; }

var tasks = Arg("--tasks", 100_000);
var runs = Arg("--runs", 3);
var shapeArg = args.SkipWhile(a => a != "--shape").Skip(1).FirstOrDefault() ?? "all";
string[] shapes = shapeArg == "all" ? ["wide", "chain", "layered"] : [shapeArg];

Console.WriteLine($"# Scheduler overhead — {tasks:N0} no-op tasks, best of {runs} runs, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
Console.WriteLine();
Console.WriteLine("| shape | tasks | wall (ms) | µs/task | tasks/s | alloc/task (B) | peak working set (MB) |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
foreach (var shape in shapes)
{
    var plan = Build(shape, tasks);
    var graph = TaskGraph.Compile(plan);
    await RunOnce(graph, Math.Min(tasks, 1000)); // warm-up (JIT)
    var best = double.MaxValue;
    long allocated = 0;
    for (var r = 0; r < runs; r++)
    {
        GC.Collect();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        var report = await new Scheduler(graph, new RunOptions { Concurrency = 64, Seed = 1 }).RunAsync();
        watch.Stop();
        if (report.Status != RunStatus.Succeeded)
        {
            throw new InvalidOperationException($"run {report.Status}");
        }

        if (watch.Elapsed.TotalMilliseconds < best)
        {
            best = watch.Elapsed.TotalMilliseconds;
            allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        }
    }

    var peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / 1024.0 / 1024.0;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {shape} | {tasks:N0} | {best:F0} | {best * 1000 / tasks:F2} | {tasks / (best / 1000):N0} | {allocated / tasks:N0} | {peakMb:F0} |"));
}

static async Task RunOnce(TaskGraph full, int n)
{
    var plan = full.Plan with { Tasks = [.. full.Plan.Tasks.Take(n).Select(t => t with { Needs = [.. t.Needs.Where(d => int.Parse(d[1..], CultureInfo.InvariantCulture) < n)] })] };
    await new Scheduler(TaskGraph.Compile(plan), new RunOptions { Concurrency = 64 }).RunAsync();
}

static PlanDefinition Build(string shape, int n)
{
    var noop = new DelegateBody((_, _) => ValueTask.FromResult<object?>(null));
    var builder = new PlanBuilder(shape);
    for (var i = 0; i < n; i++)
    {
        string[] needs = shape switch
        {
            "chain" when i > 0 => [$"t{i - 1}"],
            "layered" when i >= 100 => [$"t{i - 100}", $"t{i - 100 + (i % 7) + 1}"],
            _ => [],
        };
        builder.Add(new TaskDefinition { Id = $"t{i}", Body = noop, Needs = [.. needs] });
    }

    return builder.Build();
}

int Arg(string name, int fallback)
{
    var value = args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
    return value is null ? fallback : int.Parse(value, CultureInfo.InvariantCulture);
}
