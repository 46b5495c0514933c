using System.Text.Json;

namespace Fanout.Execution;

/// <summary>
/// A worker that is a real command line: the agent task runs as a process with the worker's documented headless
/// invocation (<see cref="WorkerDefinition.Argv"/>). What the CLI prints is read in its own format
/// (<see cref="AgentResult.Parse"/>): the final message is the task's output, its usage and cost the task's figures,
/// its session id a detail. A failure says which CLI said what, from both of its output streams.
/// </summary>
/// <param name="worker">The worker: its CLI and program.</param>
/// <param name="environment">Fanout's environment, what the CLI may inherit from; null: this process's.</param>
public sealed class CommandWorker(WorkerDefinition worker, IReadOnlyDictionary<string, string>? environment = null) : IAgentWorker
{
    private readonly ProcessExecutor _processes = new(environment);

    /// <summary>The worker this runs.</summary>
    public WorkerDefinition Worker { get; } = worker ?? throw new ArgumentNullException(nameof(worker));

    /// <inheritdoc />
    public async ValueTask<TaskResult> RunAsync(TaskContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = ((AgentBody)context.Task.Body).AsProcess(Worker);
        var run = await _processes.RunAsync(body, context.WithBody(body), cancellationToken);
        var result = AgentResult.Parse(Worker.Cli, run.Stdout);
        if (run.ExitCode != 0 || result is { IsError: true })
        {
            var said = result?.Text is { Length: > 0 } text ? ProcessExecutor.Tail(text).Trim() : ProcessExecutor.Tail(run.Stdout).Trim();
            var stderr = ProcessExecutor.Tail(run.Stderr).Trim();
            var what = run.ExitCode != 0 ? $"exited with code {run.ExitCode}" : "reported an error";
            var parts = new[] { said.Length > 0 ? $"stdout: {said}" : null, stderr.Length > 0 ? $"stderr: {stderr}" : null }.OfType<string>();
            throw new TaskFailedException($"'{run.Program}' {what}{(parts.Any() ? " — " + string.Join(" — ", parts) : "")}",
                retryable: true, null, result?.Tokens, result?.CostUsd);
        }

        var answer = result?.Text ?? run.Stdout;
        return new TaskResult
        {
            Output = Output(body.Output, answer, run.Program),
            Tokens = result?.Tokens,
            CostUsd = result?.CostUsd,
            Details = JsonSerializer.SerializeToElement(new
            {
                exit_code = run.ExitCode,
                pid = run.Pid,
                session_id = result?.SessionId,
                stderr = ProcessExecutor.Tail(run.Stderr),
            }),
        };
    }

    private static JsonElement Output(OutputFormat format, string answer, string program)
    {
        if (format == OutputFormat.Text)
        {
            return JsonSerializer.SerializeToElement(answer.TrimEnd('\n', '\r'));
        }

        try
        {
            using var document = JsonDocument.Parse(answer);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            var shown = answer.Trim();
            shown = shown.Length <= 300 ? shown : shown[..300] + "…";
            throw new TaskFailedException($"'{program}' answered with text, not JSON (output: json): {shown}", retryable: true);
        }
    }
}
