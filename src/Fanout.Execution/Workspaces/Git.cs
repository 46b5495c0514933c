using System.Collections.Concurrent;
using System.Diagnostics;

namespace Fanout.Execution.Workspaces;

/// <summary>
/// The real <c>git</c> binary run as a process: argv only, the minimal environment plus a committer identity, hooks
/// and signing off (an agent's commit is Fanout's bookkeeping, not the user's). Operations that change a repository's
/// shared metadata (worktrees, branches, refs) take the repository's lock, so parallel agents never race on it.
/// </summary>
internal sealed class Git(IReadOnlyDictionary<string, string> environment)
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new(StringComparer.Ordinal);

    /// <summary>What one git command left.</summary>
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public bool Ok => ExitCode == 0;

        public string Said => (Stderr.Trim().Length > 0 ? Stderr : Stdout).Trim();
    }

    /// <summary>Runs <c>git -C <paramref name="directory"/> ARGS</c>.</summary>
    public async Task<Result> RunAsync(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("git")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        ProcessEnvironment.Apply(start, environment, InheritedEnvironment.None);
        start.Environment["GIT_TERMINAL_PROMPT"] = "0";
        foreach (var argument in (string[])["-c", "user.name=Fanout", "-c", "user.email=fanout@localhost", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new TaskFailedException($"cannot run git (is it installed?): {e.Message}", retryable: false, e);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Git's own work is short and must not be left half done (a worktree half added): it is not cancelled.
        await process.WaitForExitAsync(CancellationToken.None);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs a command that must succeed; a failure fails the task with what git said.</summary>
    public async Task<string> CheckAsync(string directory, params string[] arguments)
    {
        var result = await RunAsync(directory, arguments);
        return result.Ok ? result.Stdout
            : throw new TaskFailedException($"git {string.Join(' ', arguments)} failed: {result.Said}", retryable: false);
    }

    /// <summary>Holds <paramref name="repository"/>'s metadata lock while <paramref name="work"/> runs.</summary>
    public static async Task<T> LockedAsync<T>(string repository, Func<Task<T>> work)
    {
        var gate = Locks.GetOrAdd(repository, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(CancellationToken.None);
        try
        {
            return await work();
        }
        finally
        {
            gate.Release();
        }
    }
}
