using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Fanout.Cli;
using Fanout.Storage.Postgres.Distributed;
using Xunit.Abstractions;

namespace Fanout.Tests.Postgres;

/// <summary>
/// The PostgreSQL crash harness: the 300-task plan run by three <c>fanout worker</c> processes that are killed with
/// SIGKILL at seeded random moments and restarted, against an uninterrupted local run of the same plan.
/// </summary>
[Trait("Category", "Crash")]
public sealed class CrashHarnessTests(ITestOutputHelper output)
{
    private const int Workers = 3;
    private const int Kills = 12;

    [PostgresFact]
    public async Task Three_workers_killed_at_random_finish_every_task_exactly_once_with_the_outputs_of_an_uninterrupted_run()
    {
        await using var cluster = await Cluster.CreateAsync();
        var yaml = CrashPlan.Yaml();
        var planPath = Path.Combine(cluster.Directory, "plan.yaml");
        await File.WriteAllTextAsync(planPath, yaml);
        var clock = Stopwatch.StartNew();
        var expected = await UninterruptedOutputsAsync(cluster.Directory, planPath);
        output.WriteLine($"uninterrupted local run: {clock.Elapsed.TotalSeconds:F1}s");
        clock.Restart();

        var effects = Path.Combine(cluster.Directory, "effects.txt");
        var runId = await cluster.SubmitAsync(yaml, concurrency: 16, inputsJson: JsonSerializer.Serialize(new { effects }));
        var logs = new ConcurrentQueue<string>();
        var workers = Enumerable.Range(0, Workers).Select(i => StartWorker(cluster, i, logs)).ToArray();
        var random = new Random(20261202);
        var kills = 0;
        var finished = DistributedRuns.WaitAsync(cluster.Database, runId, TimeSpan.FromMilliseconds(250));
        try
        {
            while (kills < Kills && !finished.IsCompleted)
            {
                // A random moment: the harness's schedule of crashes, not a wait for something to happen.
                await Task.WhenAny(finished, Task.Delay(random.Next(200, 1200)));
                if (finished.IsCompleted)
                {
                    break;
                }

                // A victim holding leases, so that each kill interrupts running work (a worker still starting up
                // would be a wasted kill); none holds any right now: wait for the next moment.
                var busy = await BusyWorkersAsync(cluster, runId);
                var candidates = Enumerable.Range(0, Workers).Where(i => busy.Contains(workers[i].Id)).ToList();
                if (candidates.Count == 0)
                {
                    continue;
                }

                var victim = candidates[random.Next(candidates.Count)];
                workers[victim].Kill();
                await workers[victim].WaitForExitAsync();
                workers[victim].Dispose();
                workers[victim] = StartWorker(cluster, victim, logs);
                kills++;
            }

            Assert.Equal("succeeded", await finished.WaitAsync(TimeSpan.FromSeconds(80)));
            output.WriteLine($"distributed run with {kills} kills: {clock.Elapsed.TotalSeconds:F1}s");
            foreach (var worker in workers)
            {
                await worker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            }
        }
        finally
        {
            foreach (var worker in workers)
            {
                if (!worker.HasExited)
                {
                    worker.Kill();
                }

                worker.Dispose();
            }

            output.WriteLine($"kills: {kills}");
            foreach (var line in logs.Where(l => l.Contains("lease", StringComparison.Ordinal) || l.Contains("error", StringComparison.OrdinalIgnoreCase)).Take(40))
            {
                output.WriteLine(line);
            }
        }

        Assert.InRange(kills, 8, Kills);
        var attempts = (await cluster.AttemptsAsync(runId)).GroupBy(a => a.Instance).ToDictionary(g => g.Key, g => g.ToList());
        var instances = await cluster.InstancesAsync(runId);
        Assert.Equal(CrashPlan.Layers * CrashPlan.Width, instances.Count);
        Assert.All(instances, i => Assert.Equal("succeeded", i.Value.State));
        foreach (var (id, list) in attempts)
        {
            // Exactly one success, and it is the last attempt: nothing ran again after it; every other attempt was lost
            // to a killed worker.
            var succeeded = Assert.Single(list, a => a.Outcome == "succeeded");
            Assert.Equal(list.Max(a => a.Attempt), succeeded.Attempt);
            Assert.All(list.Where(a => a != succeeded), a => Assert.Equal("lost", a.Outcome));
        }

        var lost = attempts.Values.Sum(l => l.Count(a => a.Outcome == "lost"));
        output.WriteLine($"lost attempts: {lost}");
        Assert.True(lost >= kills, $"{kills} kills of workers holding leases left only {lost} lost attempts");

        // Side effects: each execution left one line. A process ran more than once only as many extra times as it has
        // lost attempts (an attempt killed before its first line leaves none).
        var lines = (await File.ReadAllLinesAsync(effects)).GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        foreach (var id in instances.Keys.Where(CrashPlan.IsProcess))
        {
            Assert.InRange(lines.GetValueOrDefault(id), 1, 1 + attempts[id].Count(a => a.Outcome == "lost"));
        }

        var report = await DistributedRuns.ReportAsync(cluster.Database, runId);
        var actual = report!.Tasks.ToDictionary(t => t.Id, t => t.Output?.GetRawText());
        Assert.Equal(expected, actual);
    }

    /// <summary>Process ids of the workers holding a lease in the run (worker ids are host:pid:suffix).</summary>
    private static async Task<HashSet<int>> BusyWorkersAsync(Cluster cluster, string runId)
    {
        var owners = new HashSet<int>();
        await using var command = cluster.Database.Source.CreateCommand(
            "SELECT DISTINCT lease_owner FROM fanout_instances WHERE run_id = @run AND state = 'running' AND lease_owner IS NOT NULL AND lease_until > now()");
        command.Parameters.AddWithValue("run", runId);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            owners.Add(int.Parse(reader.GetString(0).Split(':')[1], System.Globalization.CultureInfo.InvariantCulture));
        }

        return owners;
    }

    /// <summary>The same plan run locally by <c>fanout run</c>, without interruption: every task's output.</summary>
    private static async Task<Dictionary<string, string?>> UninterruptedOutputsAsync(string directory, string planPath)
    {
        var local = Path.Combine(directory, "local");
        Directory.CreateDirectory(local);
        var env = new CliEnvironment
        {
            Out = new StringWriter(),
            Error = new StringWriter(),
            CurrentDirectory = local,
            GetEnvironmentVariable = name => name == DistributedRunVariable ? null : Environment.GetEnvironmentVariable(name),
        };
        var code = await CliHost.RunAsync(["run", planPath, "--out", local, "--plain", "--input", $"effects={Path.Combine(local, "effects.txt")}"], env);
        Assert.True(code == 0, env.Error.ToString());
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(local, "run.json")));
        return report.RootElement.GetProperty("tasks").EnumerateArray().ToDictionary(
            t => t.GetProperty("id").GetString()!,
            t => t.TryGetProperty("output", out var o) && o.ValueKind != JsonValueKind.Null ? o.GetRawText() : null);
    }

    private const string DistributedRunVariable = "FANOUT_STORE";

    private static Process StartWorker(Cluster cluster, int index, ConcurrentQueue<string> logs)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = cluster.Directory,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "Fanout.Cli.dll"), "worker", "--store", cluster.ConnectionString,
                     "--exit-when-idle", "--lease", "2s", "--concurrency", "8", "--out", Path.Combine(cluster.Directory, "out"),
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                logs.Enqueue($"w{index}: {line}");
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }
}
