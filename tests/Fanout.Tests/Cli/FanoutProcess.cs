using System.Diagnostics;
using System.Text;

namespace Fanout.Tests.Cli;

/// <summary>
/// A real <c>fanout</c> child process (the built CLI under <c>dotnet exec</c>) in a working directory, with its output
/// captured line by line so a test can wait for a line (an event, not a sleep) before acting on the process.
/// </summary>
internal sealed class FanoutProcess : IDisposable
{
    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _error = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiting = [];

    private FanoutProcess(Process process) => _process = process;

    /// <summary>The process id (what a run lease records).</summary>
    public int Id => _process.Id;

    /// <summary>Starts <c>fanout <paramref name="args"/></c> in <paramref name="directory"/>.</summary>
    public static FanoutProcess Start(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        foreach (var argument in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "Fanout.Cli.dll"), .. args])
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        var fanout = new FanoutProcess(process);
        process.OutputDataReceived += (_, e) => fanout.Received(fanout._out, e.Data);
        process.ErrorDataReceived += (_, e) => fanout.Received(fanout._error, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return fanout;
    }

    /// <summary>The first line (stdout or stderr, already written or still to come) that <paramref name="match"/>es.</summary>
    public Task<string> LineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            var written = _out.ToString().Split('\n').Concat(_error.ToString().Split('\n')).FirstOrDefault(match);
            if (written is not null)
            {
                return Task.FromResult(written);
            }

            _waiting.Add((match, seen));
        }

        return seen.Task.WaitAsync(timeout);
    }

    /// <summary>Waits for the process to exit: its exit code and everything it wrote.</summary>
    public async Task<Exit> ExitAsync(TimeSpan timeout)
    {
        await WaitAsync(timeout);
        lock (_lock)
        {
            return new Exit(_process.ExitCode, _out.ToString(), _error.ToString());
        }
    }

    /// <summary>Completes when the process exits (within <paramref name="timeout"/>).</summary>
    public Task WaitAsync(TimeSpan timeout) => _process.WaitForExitAsync().WaitAsync(timeout);

    /// <summary>SIGKILLs the process and everything it started, like a power cut, and waits until it is gone.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void Received(StringBuilder into, string? line)
    {
        if (line is null)
        {
            return;
        }

        List<TaskCompletionSource<string>> matched;
        lock (_lock)
        {
            into.Append(line).Append('\n');
            matched = [.. _waiting.Where(w => w.Match(line)).Select(w => w.Seen)];
            _waiting.RemoveAll(w => matched.Contains(w.Seen));
        }

        foreach (var seen in matched)
        {
            seen.TrySetResult(line);
        }
    }

    /// <summary>How a process ended.</summary>
    public sealed record Exit(int ExitCode, string Out, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
    }
}
