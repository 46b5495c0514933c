using Fanout.Cli.Output;
using Fanout.Providers.Pools;

namespace Fanout.Cli;

/// <summary>What every finished run leaves, local or distributed: run.json and report.html in its directory, the
/// summary, the files' paths, and run.json on stdout with <c>--json</c>.</summary>
internal static class RunResults
{
    /// <summary>Writes the run's files and summary (with the key pools' lines, when any); returns the exit code for its
    /// status. The report is written as the scheduler built it.</summary>
    public static async Task<int> WriteAsync(
        CliEnvironment env, HumanOutput human, RunReport report, string directory, bool json, IReadOnlyList<PoolStats>? pools = null)
    {
        pools ??= [];

        // Written even when cancelled: a stopped run's report says what finished and what did not.
        var text = report.ToJson();
        var runJson = Path.Combine(directory, "run.json");
        var reportHtml = Path.Combine(directory, "report.html");
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(runJson, text, CancellationToken.None);
        await File.WriteAllTextAsync(reportHtml, HtmlReport.Render(report), CancellationToken.None);

        Summary.Write(human.Console, report);
        foreach (var pool in pools)
        {
            human.Writer.WriteLine(pool.Describe());
        }

        human.Writer.WriteLine($"run.json     {Display(env, runJson)}");
        human.Writer.WriteLine($"report.html  {Display(env, reportHtml)}");
        if (json)
        {
            env.Out.WriteLine(text);
        }

        return ExitCodes.For(report.Status);
    }

    /// <summary>A path relative to the current directory when it lies below it (shorter, and clickable in most terminals).</summary>
    private static string Display(CliEnvironment env, string path)
    {
        var relative = Path.GetRelativePath(env.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }
}
