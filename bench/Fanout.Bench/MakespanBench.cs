// Makespan with real processes: each task is `sleep <seconds>`, and the same DAG runs under four strategies in one
// process, one after another: Fanout's scheduler, wave-by-wave (seed 001: start a wave when the slowest member of the
// previous one is done), seed 002's (every task without dependencies at once, then the dependent ones one at a time)
// and sequential. Each is reported as makespan ÷ lower bound, the bound being max(critical path, work ÷ concurrency)
// of the planned sleeps, so spawn cost and scheduling delay both count against every strategy. Usage:
//   dotnet run -c Release --project bench/Fanout.Bench -- makespan [--runs R] [--quick]
using System.Diagnostics;
using System.Globalization;

namespace Fanout.Bench;

internal static class MakespanBench
{
    private sealed record Node(string Id, double Ms, string[] Needs);

    private sealed record Dag(string Name, int Concurrency, List<Node> Nodes);

    public static async Task RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var runs = int.Parse(args.SkipWhile(a => a != "--runs").Skip(1).FirstOrDefault() ?? (quick ? "1" : "3"), CultureInfo.InvariantCulture);
        Dag[] dags = [SiteGenerator(), ForkJoin(quick ? 16 : 32), Layered(quick ? 8 : 16, 10)];

        Console.WriteLine($"# Makespan with real processes — {Environment.ProcessorCount} cores, .NET {Environment.Version}, {runs} run(s) each, best shown");
        Console.WriteLine();
        Console.WriteLine("Each task is a real `sleep` process. Bound = max(critical path, work ÷ concurrency) of the planned sleeps.");
        Console.WriteLine();
        Console.WriteLine("| DAG | tasks | concurrency | bound (ms) | strategy | makespan (ms) | ÷ bound |");
        Console.WriteLine("| --- | ---: | ---: | ---: | --- | ---: | ---: |");
        (string Name, Func<Dag, Task> Run)[] strategies =
        [
            ("Fanout", Fanout), ("wave-by-wave (seed 001)", Waves), ("independent, then one at a time (seed 002)", Seed002), ("sequential", Sequential),
        ];
        // Warm-up: the first run of each strategy pays for JIT and loading Process; none of the measured runs should.
        var warmUp = new Dag("warm-up", 2, [new("a", 1, []), new("b", 1, []), new("c", 1, ["a", "b"])]);
        foreach (var (_, strategy) in strategies)
        {
            await strategy(warmUp);
        }

        foreach (var dag in dags)
        {
            var bound = LowerBound(dag);
            foreach (var (name, strategy) in strategies)
            {
                var best = double.MaxValue;
                for (var r = 0; r < runs; r++)
                {
                    var watch = Stopwatch.StartNew();
                    await strategy(dag);
                    best = Math.Min(best, watch.Elapsed.TotalMilliseconds);
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {dag.Name} | {dag.Nodes.Count} | {dag.Concurrency} | {bound:F0} | {name} | {best:F0} | {best / bound:F3} |"));
            }
        }
    }

    // Seed 001's ten phases as examples/site-generator/plan.yaml wires them (6 images, 5 pages), with that plan's
    // simulated latencies (gpt-4o-mini 1.5 s, gpt-4o 2.2–3.5 s, images 3.4–4.4 s) scaled by 0.02.
    private static Dag SiteGenerator()
    {
        const double scale = 0.02;
        var nodes = new List<Node>
        {
            new("design_strategy", 2400, []),
            new("design_context", 2300, []),
            new("section_plan", 1800, []),
            new("layout", 3100, ["design_context", "section_plan"]),
            new("style_system", 2000, ["design_context"]),
            new("page_planning", 1700, ["design_strategy", "section_plan"]),
            new("image_planning", 1900, ["design_context", "section_plan", "style_system"]),
            new("copywriting", 3300, ["layout", "design_strategy"]),
            new("seo_strategy", 1600, ["design_strategy"]),
        };
        var random = new Random(1);
        for (var i = 0; i < 6; i++)
        {
            nodes.Add(new($"image{i}", 3400 + (random.NextDouble() * 1000), ["image_planning"]));
        }

        for (var i = 0; i < 5; i++)
        {
            nodes.Add(new($"page{i}", 2200 + (random.NextDouble() * 1300), ["page_planning", "layout", "style_system", "copywriting", "seo_strategy", "image_planning"]));
        }

        nodes.Add(new("quality", 1500, [.. Enumerable.Range(0, 5).Select(i => $"page{i}"), .. Enumerable.Range(0, 6).Select(i => $"image{i}")]));
        nodes.Add(new("site", 1500, ["page_planning", "quality", "seo_strategy"]));
        return new("seed 001 site generator", 32, [.. nodes.Select(n => n with { Ms = n.Ms * scale })]);
    }

    // One source, `width` branches of log-normal length, one join; twice over.
    private static Dag ForkJoin(int width)
    {
        var random = new Random(2);
        var nodes = new List<Node> { new("src", 20, []) };
        var previous = "src";
        for (var stage = 0; stage < 2; stage++)
        {
            var branches = Enumerable.Range(0, width).Select(i => new Node($"s{stage}b{i}", LogNormal(random, 60, 0.6), [previous])).ToList();
            nodes.AddRange(branches);
            previous = $"join{stage}";
            nodes.Add(new(previous, 20, [.. branches.Select(b => b.Id)]));
        }

        return new($"fork-join ×2, width {width}", 8, nodes);
    }

    // `layers` layers of `width` tasks, log-normal durations; each task needs two random tasks of the layer before.
    private static Dag Layered(int layers, int width)
    {
        var random = new Random(3);
        var nodes = new List<Node>();
        for (var l = 0; l < layers; l++)
        {
            for (var i = 0; i < width; i++)
            {
                string[] needs = l == 0 ? [] : [.. new[] { random.Next(width), random.Next(width) }.Distinct().Select(j => $"l{l - 1}t{j}")];
                nodes.Add(new($"l{l}t{i}", LogNormal(random, 40, 0.8), needs));
            }
        }

        return new($"layered log-normal {layers}×{width}", 8, nodes);
    }

    private static double LogNormal(Random random, double median, double sigma)
    {
        // Box–Muller; the seed fixes the DAG, so every run and strategy sees the same durations.
        var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return Math.Round(median * Math.Exp(sigma * normal), 1);
    }

    private static double LowerBound(Dag dag)
    {
        var finish = new Dictionary<string, double>();
        foreach (var node in dag.Nodes)
        {
            finish[node.Id] = node.Ms + node.Needs.Select(n => finish[n]).DefaultIfEmpty(0).Max();
        }

        return Math.Max(finish.Values.Max(), dag.Nodes.Sum(n => n.Ms) / dag.Concurrency);
    }

    private static async Task Fanout(Dag dag)
    {
        var builder = new PlanBuilder("makespan");
        foreach (var node in dag.Nodes)
        {
            builder.Add(new TaskDefinition { Id = node.Id, Needs = [.. node.Needs], Body = new ProcessBody { Argv = ["sleep", Seconds(node.Ms)] } });
        }

        var report = await new Scheduler(TaskGraph.Compile(builder.Build()), new RunOptions
        {
            Concurrency = dag.Concurrency,
            Executors = ExecutorRegistry.CreateDefault().With(new Fanout.Execution.ProcessExecutor()),
        }).RunAsync();
        if (report.Status != RunStatus.Succeeded)
        {
            throw new InvalidOperationException($"run {report.Status}: {report.Tasks.FirstOrDefault(t => t.Error is not null)?.Error}");
        }
    }

    private static async Task Waves(Dag dag)
    {
        var level = new Dictionary<string, int>();
        foreach (var node in dag.Nodes)
        {
            level[node.Id] = node.Needs.Select(n => level[n] + 1).DefaultIfEmpty(0).Max();
        }

        foreach (var wave in dag.Nodes.GroupBy(n => level[n.Id]).OrderBy(g => g.Key))
        {
            await Bounded(wave, dag.Concurrency);
        }
    }

    private static async Task Seed002(Dag dag)
    {
        await Bounded(dag.Nodes.Where(n => n.Needs.Length == 0), dag.Concurrency);
        foreach (var node in dag.Nodes.Where(n => n.Needs.Length > 0))
        {
            await Sleep(node.Ms, CancellationToken.None);
        }
    }

    private static async Task Sequential(Dag dag)
    {
        foreach (var node in dag.Nodes)
        {
            await Sleep(node.Ms, CancellationToken.None);
        }
    }

    private static Task Bounded(IEnumerable<Node> nodes, int concurrency) =>
        Parallel.ForEachAsync(nodes, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, (node, ct) => new ValueTask(Sleep(node.Ms, ct)));

    private static async Task Sleep(double ms, CancellationToken cancellationToken)
    {
        using var process = Process.Start(new ProcessStartInfo("sleep", [Seconds(ms)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("sleep did not start");
        await process.WaitForExitAsync(cancellationToken);
    }

    private static string Seconds(double ms) => (ms / 1000).ToString("0.####", CultureInfo.InvariantCulture);
}
