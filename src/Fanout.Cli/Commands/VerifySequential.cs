using System.Security.Cryptography;
using Fanout.Cli.Output;

namespace Fanout.Cli.Commands;

/// <summary>
/// <c>fanout run PLAN --verify-sequential</c>: runs a deterministic plan twice, in parallel and at concurrency 1, each
/// in its own scratch copy of the plan's directory (so the two runs' side effects cannot meet), then compares every
/// task's status and output and every file the copies end up with. Exit 0 when they agree (the run's own code), 1
/// with the differences when they do not; the copies are kept then, for inspection.
/// </summary>
internal static class VerifySequential
{
    private const string StateDirectory = ".fanout";

    public static async Task<int> ExecuteAsync(CliEnvironment env, RunCommand.Settings settings, CancellationToken cancellationToken)
    {
        if (PlanStep.Load(env, settings.Plan) is not { } graph)
        {
            return ExitCodes.Invalid;
        }

        var source = graph.Plan.BaseDirectory;
        var planFile = Path.GetRelativePath(source, env.FullPath(settings.Plan));
        var scratch = Path.Combine(Path.GetTempPath(), "fanout-verify-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)));
        var original = Snapshot(source);
        var runs = new List<(string Name, RunReport Report, Dictionary<string, string> Files)>();
        foreach (var (name, sequential) in new[] { ("parallel", false), ("sequential", true) })
        {
            var copy = Path.Combine(scratch, name);
            CopyTree(source, copy);
            var log = new StringWriter();
            var outDir = Path.Combine(scratch, name + "-run");
            var code = await RunCommand.ExecuteAsync(
                env with { Out = log, Error = log, OutIsTerminal = false, ErrorIsTerminal = false, CurrentDirectory = copy },
                settings with
                {
                    Plan = Path.Combine(copy, planFile),
                    Out = outDir,
                    Concurrency = sequential ? 1 : settings.Concurrency,
                    Sequential = false,
                    VerifySequential = false,
                    NoCache = true,
                    Plain = true,
                    Json = false,
                    Resume = null,
                    Trace = null,
                    Store = "memory",
                },
                cancellationToken);
            if (code is ExitCodes.Invalid or ExitCodes.Cancelled || !File.Exists(Path.Combine(outDir, "run.json")))
            {
                env.Error.Write(log.ToString());
                return code;
            }

            runs.Add((name, RunReport.FromJson(await File.ReadAllTextAsync(Path.Combine(outDir, "run.json"), cancellationToken)), Snapshot(copy)));
        }

        var (parallel, serial) = (runs[0], runs[1]);
        foreach (var (name, report, _) in runs)
        {
            env.Out.WriteLine($"{name,-11} {report.Status.ToString().ToLowerInvariant(),-10} makespan {Format.Ms(report.MakespanMs),-8} " +
                $"sequential sum {Format.Ms(report.SequentialMs),-8} speedup {Format.Times(report.Speedup)}");
        }

        var differences = Outputs(parallel.Report, serial.Report).Concat(Files(parallel.Files, serial.Files)).ToList();
        if (differences.Count > 0)
        {
            env.Out.WriteLine($"the parallel and the sequential run differ ({differences.Count}):");
            foreach (var difference in differences)
            {
                env.Out.WriteLine("  " + difference);
            }

            env.Out.WriteLine($"scratch copies kept in {scratch}");
            return ExitCodes.TaskFailed;
        }

        var written = parallel.Files.Count(f => original.GetValueOrDefault(f.Key) != f.Value) + original.Keys.Count(k => !parallel.Files.ContainsKey(k));
        env.Out.WriteLine($"same results: {parallel.Report.Tasks.Length} task outputs and {written} file{(written == 1 ? "" : "s")} written are identical; " +
            $"parallel took {Format.Ms(parallel.Report.MakespanMs)}, sequential {Format.Ms(serial.Report.MakespanMs)}");
        Directory.Delete(scratch, recursive: true);
        return ExitCodes.For(parallel.Report.Status);
    }

    private static IEnumerable<string> Outputs(RunReport parallel, RunReport sequential)
    {
        var other = sequential.Tasks.ToDictionary(t => t.Id, StringComparer.Ordinal);
        foreach (var task in parallel.Tasks)
        {
            if (!other.Remove(task.Id, out var twin))
            {
                yield return $"task '{task.Id}': only in the parallel run";
            }
            else if (task.Status != twin.Status)
            {
                yield return $"task '{task.Id}': {task.Status.ToWire()} in parallel, {twin.Status.ToWire()} sequentially";
            }
            else if (task.Output?.GetRawText() is var output && output != twin.Output?.GetRawText())
            {
                yield return $"task '{task.Id}' output: parallel {Format.OneLine(output, 80)} · sequential {Format.OneLine(twin.Output?.GetRawText(), 80)}";
            }
        }

        foreach (var id in other.Keys)
        {
            yield return $"task '{id}': only in the sequential run";
        }
    }

    private static IEnumerable<string> Files(Dictionary<string, string> parallel, Dictionary<string, string> sequential)
    {
        foreach (var (path, hash) in parallel.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            if (!sequential.TryGetValue(path, out var other))
            {
                yield return $"file {path}: only after the parallel run";
            }
            else if (other != hash)
            {
                yield return $"file {path}: contents differ";
            }
        }

        foreach (var path in sequential.Keys.Where(k => !parallel.ContainsKey(k)).Order(StringComparer.Ordinal))
        {
            yield return $"file {path}: only after the sequential run";
        }
    }

    /// <summary>Every file under <paramref name="root"/> (but Fanout's own state) by relative path, with its SHA-256.</summary>
    private static Dictionary<string, string> Snapshot(string root)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            if (!relative.StartsWith(StateDirectory + "/", StringComparison.Ordinal))
            {
                using var stream = File.OpenRead(file);
                files[relative] = Convert.ToHexStringLower(SHA256.HashData(stream));
            }
        }

        return files;
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var directory in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, directory);
            if (relative != StateDirectory && !relative.StartsWith(StateDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                Directory.CreateDirectory(Path.Combine(to, relative));
            }
        }

        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (!relative.StartsWith(StateDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                File.Copy(file, Path.Combine(to, relative));
            }
        }
    }
}
