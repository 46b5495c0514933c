using System.Diagnostics;
using System.Text.Json;

namespace Fanout.Execution;

/// <summary>
/// Runs <see cref="ProcessBody"/> tasks. Each rendered argv element is exactly one argument — no shell parses it.
/// With <c>shell: true</c> the first element is a fixed <c>/bin/sh -c</c> script and the rest are passed to it as
/// <c>$1</c>, <c>$2</c>…, so templated values still never become shell text. The process gets the minimal environment
/// plus what its task declares or inherits (<see cref="ProcessEnvironment"/>) and runs in a session of its own
/// (<see cref="ProcessSession"/>): when it exits, times out or is cancelled, everything still running in that session
/// is killed, so no task leaves a process behind.
/// </summary>
/// <param name="environment">Fanout's environment, what tasks may inherit from; null: this process's.</param>
public sealed partial class ProcessExecutor(IReadOnlyDictionary<string, string>? environment = null) : ITaskExecutor, ICacheableExecutor
{
    private const int TailBytes = 4096;

    private readonly IReadOnlyDictionary<string, string> _environment = environment ?? ProcessEnvironment.Current();

    /// <inheritdoc />
    public string Kind => "process";

    /// <inheritdoc />
    public async ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken)
    {
        var body = (ProcessBody)context.Task.Body;
        var run = await RunAsync(body, context, cancellationToken);
        var details = JsonSerializer.SerializeToElement(new { exit_code = run.ExitCode, pid = run.Pid, stderr = Tail(run.Stderr) });
        if (run.ExitCode != 0)
        {
            var tail = Tail(run.Stderr).Trim();
            throw new TaskFailedException($"'{run.Program}' exited with code {run.ExitCode}{(tail.Length > 0 ? ": " + tail : "")}");
        }

        return new TaskResult { Output = ParseOutput(body, run.Stdout), Details = details };
    }

    /// <summary>What one run of a process left: its exit code and everything it wrote.</summary>
    internal sealed record Finished(string Program, int Pid, int ExitCode, string Stdout, string Stderr);

    /// <summary>Runs <paramref name="body"/> to its end (or kills it, with its session, on cancellation).</summary>
    internal async Task<Finished> RunAsync(ProcessBody body, TaskContext context, CancellationToken cancellationToken)
    {
        var start = StartInfo(body, context);
        var program = start.FileName;
        // Rendered before the start: a template error must not leave a started process waiting on its stdin.
        var stdinText = body.Stdin is { } template ? context.Render(template) : null;
        if (!ProcessSession.Prepare(start, program))
        {
            throw new TaskFailedException($"cannot start '{program}': No such file or directory", retryable: false);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new TaskFailedException($"cannot start '{program}': {e.Message}", retryable: false, e);
        }

        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        string output, error;
        try
        {
            await WriteStdinAsync(process.StandardInput, stdinText, cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            // Whatever it left running would hold the pipes open (and outlive the run): its session ends with it.
            ProcessSession.KillAll(process);
            output = await stdout.WaitAsync(cancellationToken);
            error = await stderr.WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            ProcessSession.KillAll(process);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw;
        }

        return new Finished(Path.GetFileName(program), process.Id, process.ExitCode, output, error);
    }

    private ProcessStartInfo StartInfo(ProcessBody body, TaskContext context)
    {
        if (body.Argv.IsDefaultOrEmpty)
        {
            throw new TaskFailedException("process task has an empty argv", retryable: false);
        }

        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetFullPath(body.WorkingDirectory ?? ".", context.Plan.BaseDirectory),
        };
        if (body.Shell)
        {
            start.FileName = "/bin/sh";
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(body.Argv[0]);
            start.ArgumentList.Add("fanout");
            foreach (var argument in body.Argv.Skip(1))
            {
                start.ArgumentList.Add(context.Render(argument));
            }
        }
        else
        {
            start.FileName = context.Render(body.Argv[0]);
            foreach (var argument in body.Argv.Skip(1))
            {
                start.ArgumentList.Add(context.Render(argument));
            }
        }

        ProcessEnvironment.Apply(start, _environment, body.InheritEnv);
        foreach (var (name, value) in body.Env)
        {
            start.Environment[name] = context.Render(value);
        }

        start.Environment["FANOUT_TASK_ID"] = context.InstanceId;
        start.Environment["FANOUT_ATTEMPT"] = context.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return start;
    }

    private static JsonElement ParseOutput(ProcessBody body, string stdout)
    {
        if (body.Output == OutputFormat.Text)
        {
            return JsonSerializer.SerializeToElement(stdout.TrimEnd('\n', '\r'));
        }

        try
        {
            using var document = JsonDocument.Parse(stdout);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new TaskFailedException($"stdout is not valid JSON (output: json): {e.Message}", retryable: false, e);
        }
    }

    private static async Task WriteStdinAsync(StreamWriter stdin, string? text, CancellationToken cancellationToken)
    {
        try
        {
            if (text is not null)
            {
                await stdin.WriteAsync(text.AsMemory(), cancellationToken);
            }

            stdin.Close();
        }
        catch (IOException)
        {
            // EPIPE: the process exited or closed its stdin without reading it all. Not an error in itself; its
            // exit code decides the outcome.
            try
            {
                stdin.Close();
            }
            catch (IOException)
            {
                // The unsent buffer cannot be flushed any more; the pipe is closed regardless.
            }
        }
    }

    internal static string Tail(string text) => text.Length <= TailBytes ? text : "…" + text[^TailBytes..];
}
