using System.Diagnostics;
using System.Text;
using Fanout.Storage;
using Fanout.Storage.Sqlite;
using Xunit.Abstractions;

namespace Fanout.Tests.Durability;

/// <summary>
/// The crash harness: a 300-task plan (processes with an observable side effect, simulated prompts) runs as a real
/// <c>fanout</c> child process against SQLite, is killed with SIGKILL (the whole process tree, like a power cut)
/// at 20 seeded random moments and resumed each time. At the end the journal must show every task succeeded exactly
/// once, no task ran after it had succeeded, every repeated side effect matches a lost attempt, and the outputs equal
/// those of an uninterrupted run.
/// </summary>
[Trait("Category", "Crash")]
public sealed class CrashHarnessTests(ITestOutputHelper output) : IDisposable
{
    private const int Kills = 20;
    private const int Layers = 20;
    private const int Width = 15;
    private readonly string _directory = Directory.CreateTempSubdirectory("fanout-crash-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_run_killed_20_times_and_resumed_ends_with_every_task_succeeded_exactly_once_and_the_same_outputs()
    {
        var plan = WritePlan("plan.yaml", "side-crash.txt");
        var reference = WritePlan("reference.yaml", "side-reference.txt");
        var stopwatch = Stopwatch.StartNew();

        Assert.Equal(0, await RunToEndAsync(reference, "reference.db"));
        var referenceOutputs = await OutputsAsync("reference.db");
        var random = new Random(20261202);
        var kills = 0;
        while (kills < Kills)
        {
            using var child = Start(plan, "crash.db", resume: await HasRunAsync("crash.db"));
            var linesBefore = SideLines("side-crash.txt").Count;
            // Some kills land at a random instant (startup, a commit, anything); most after a random amount of progress.
            var killed = random.Next(4) == 0
                ? await KillAfterAsync(child, () => false, TimeSpan.FromMilliseconds(random.Next(50, 600)))
                : await KillAfterAsync(child, Progressed(linesBefore + random.Next(1, 8)), TimeSpan.FromSeconds(20));
            Assert.True(killed, "the run finished before the harness could kill it: the plan is too short for 20 kills");
            kills++;
        }

        Assert.Equal(0, await RunToEndAsync(plan, "crash.db", resume: true));
        output.WriteLine($"{kills} kills, {stopwatch.Elapsed.TotalSeconds:0.0} s in all");

        await using var store = SqliteRunStore.Open(Path.Combine(_directory, "crash.db"));
        var runs = await store.ListRunsAsync(new RunQuery());
        var journal = (await store.LoadAsync(Assert.Single(runs).RunId))!;
        Assert.Equal("succeeded", journal.Run.Status);
        Assert.Equal(Layers * Width, journal.Instances.Length);
        Assert.All(journal.Instances, i => Assert.Equal(TaskState.Succeeded, i.State));
        var attempts = journal.Attempts.ToLookup(a => a.InstanceId, StringComparer.Ordinal);
        var lost = 0;
        foreach (var instance in journal.Instances)
        {
            var log = attempts[instance.InstanceId].OrderBy(a => a.Attempt).ToList();
            // Exactly one success, and it is the last attempt: nothing ran again after a task had succeeded.
            Assert.Equal(AttemptOutcome.Succeeded, log[^1].Outcome);
            Assert.All(log[..^1], a => Assert.Equal(AttemptOutcome.Lost, a.Outcome));
            lost += log.Count - 1;
        }

        output.WriteLine($"{lost} lost attempts");
        Assert.True(lost > 0, "no kill landed while a task was running");
        var sideEffects = SideLines("side-crash.txt").GroupBy(l => l, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        foreach (var task in ProcessTasks())
        {
            // At least once; more than once only for attempts the journal records as lost (at-least-once).
            var times = sideEffects.GetValueOrDefault(task);
            Assert.True(times >= 1, $"{task} never ran");
            var lostAttempts = attempts[task].Count(a => a.Outcome == AttemptOutcome.Lost);
            Assert.True(times <= 1 + lostAttempts, $"{task} ran {times} times but has {lostAttempts} lost attempts");
        }

        Assert.Equal(referenceOutputs, await OutputsAsync("crash.db"));
    }

    private static IEnumerable<string> ProcessTasks() =>
        Enumerable.Range(0, Layers).SelectMany(l => Enumerable.Range(0, Width).Where(i => IsProcess(l, i)).Select(i => Id(l, i)));

    private static bool IsProcess(int layer, int index) => (layer + index) % 3 != 0;

    private static string Id(int layer, int index) => $"t{layer:00}_{index:00}";

    /// <summary>20 layers of 15 tasks, each needing one or two tasks of the layer before (seeded), two in three of
    /// them processes that append their id to a side-effect file, the rest simulated prompts.</summary>
    private string WritePlan(string name, string sideFile)
    {
        var random = new Random(7);
        var side = Path.Combine(_directory, sideFile);
        var yaml = new StringBuilder($$"""
            name: crash
            concurrency: 8
            defaults:
              provider: sim
              retry: { max_attempts: 1 }
            providers:
              sim:
                type: simulated
                model: fast
                models:
                  "*": { latency: { uniform: [20ms, 80ms] }, per_output_token: 0ms, output_tokens: [5, 10] }
            tasks:

            """);
        for (var layer = 0; layer < Layers; layer++)
        {
            for (var index = 0; index < Width; index++)
            {
                var needs = layer == 0 ? [] : Enumerable.Range(0, random.Next(1, 3)).Select(_ => Id(layer - 1, random.Next(Width))).Distinct().ToList();
                var upstream = string.Join(" ", needs.Select(n => $"{{{{tasks.{n}.output}}}}"));
                yaml.AppendLine($"  - id: {Id(layer, index)}");
                if (needs.Count > 0)
                {
                    yaml.AppendLine($"    needs: [{string.Join(", ", needs)}]");
                }

                if (IsProcess(layer, index))
                {
                    yaml.AppendLine($$"""    argv: [sh, -c, 'echo "$1" >> "$2"; sleep 0.08; printf "out-%s-%s" "$1" "$(printf %s "$3" | cksum | cut -d" " -f1)"', fanout, "{{Id(layer, index)}}", "{{side}}", "{{upstream}}"]""");
                }
                else
                {
                    yaml.AppendLine($"""    prompt: "Task {Id(layer, index)} continues from: {upstream}" """);
                }
            }
        }

        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, yaml.ToString());
        return path;
    }

    private Process Start(string plan, string db, bool resume)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _directory,
        };
        foreach (var argument in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "Fanout.Cli.dll"), "run", plan, "--store", "sqlite:" + db, "--plain", "--out", "out"])
        {
            start.ArgumentList.Add(argument);
        }

        if (resume)
        {
            start.ArgumentList.Add("--resume");
        }

        var process = Process.Start(start)!;
        // Drain the pipes so a chatty child never blocks on a full one.
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        return process;
    }

    private async Task<int> RunToEndAsync(string plan, string db, bool resume = false)
    {
        using var child = Start(plan, db, resume);
        await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return child.ExitCode;
    }

    /// <summary>Waits for <paramref name="condition"/> (or <paramref name="after"/>), then SIGKILLs the child's whole
    /// tree. False if the child exited first.</summary>
    private static async Task<bool> KillAfterAsync(Process child, Func<bool> condition, TimeSpan after)
    {
        var deadline = Stopwatch.StartNew();
        while (!child.HasExited && !condition() && deadline.Elapsed < after)
        {
            // Polling an external process's observable progress: there is no event to wait on.
            await Task.Delay(5);
        }

        if (child.HasExited)
        {
            return false;
        }

        child.Kill(entireProcessTree: true);
        await child.WaitForExitAsync();
        return true;
    }

    private Func<bool> Progressed(int lines) => () => SideLines("side-crash.txt").Count >= lines;

    private List<string> SideLines(string file)
    {
        var path = Path.Combine(_directory, file);
        return File.Exists(path) ? [.. File.ReadAllLines(path).Where(l => l.Length > 0)] : [];
    }

    private async Task<bool> HasRunAsync(string db)
    {
        if (!File.Exists(Path.Combine(_directory, db)))
        {
            return false;
        }

        await using var store = SqliteRunStore.Open(Path.Combine(_directory, db));
        return (await store.ListRunsAsync(new RunQuery())).Count > 0;
    }

    private async Task<SortedDictionary<string, string>> OutputsAsync(string db)
    {
        await using var store = SqliteRunStore.Open(Path.Combine(_directory, db));
        var run = Assert.Single(await store.ListRunsAsync(new RunQuery()));
        var journal = (await store.LoadAsync(run.RunId))!;
        return new SortedDictionary<string, string>(
            journal.Instances.ToDictionary(i => i.InstanceId, i => StoredResult.Deserialize(i.ResultJson!).Output.GetRawText()),
            StringComparer.Ordinal);
    }
}
