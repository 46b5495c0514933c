using System.Diagnostics;
using System.Text.Json;

namespace Fanout.Execution;

/// <summary>
/// Runs <see cref="ProcessBody"/> tasks. Each rendered argv element is exactly one argument — no shell parses it.
/// With <c>shell: true</c> the first element is a fixed <c>/bin/sh -c</c> script and the rest are passed to it as
/// <c>$1</c>, <c>$2</c>…, so templated values still never become shell text. On timeout or cancellation the whole
/// process tree is killed. (A background child whose parent has already exited is no longer in that tree: the attempt
/// still ends on time, but such a child is left running.)
/// </summary>
public sealed partial class ProcessExecutor : ITaskExecutor, ICacheableExecutor
{
    private const int TailBytes = 4096;

    /// <inheritdoc />
    public string Kind => "process";

    /// <inheritdoc />
    public async ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken)
    {
        var body = (ProcessBody)context.Task.Body;
        var start = StartInfo(body, context);
        // Rendered before the start: a template error must not leave a started process waiting on its stdin.
        var stdinText = body.Stdin is { } template ? context.Render(template) : null;
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new TaskFailedException($"cannot start '{start.FileName}': {e.Message}", retryable: false, e);
        }

        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        string output, error;
        try
        {
            await WriteStdinAsync(process.StandardInput, stdinText, cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            // A backgrounded grandchild can hold the pipes open after the process exits: reading to EOF must still
            // honour the timeout and cancellation.
            output = await stdout.WaitAsync(cancellationToken);
            error = await stderr.WaitAsync(cancellationToken);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            KillTree(process);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            throw;
        }

        var details = JsonSerializer.SerializeToElement(new { exit_code = process.ExitCode, pid = process.Id, stderr = Tail(error) });
        if (process.ExitCode != 0)
        {
            var tail = Tail(error).Trim();
            throw new TaskFailedException($"'{Path.GetFileName(start.FileName)}' exited with code {process.ExitCode}{(tail.Length > 0 ? ": " + tail : "")}");
        }

        return new TaskResult { Output = ParseOutput(body, output), Details = details };
    }

    private static ProcessStartInfo StartInfo(ProcessBody body, TaskContext context)
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

    private static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static string Tail(string text) => text.Length <= TailBytes ? text : "…" + text[^TailBytes..];
}
