using System.Collections.Immutable;

namespace Fanout.Execution;

/// <summary>A worker that is a real command line: the agent task runs as a process task with the prompt appended.</summary>
/// <param name="command">The worker's program and leading arguments.</param>
public sealed class CommandWorker(ImmutableArray<string> command) : IAgentWorker
{
    private static readonly ProcessExecutor Processes = new();

    /// <summary>The program and leading arguments.</summary>
    public ImmutableArray<string> Command { get; } = command;

    /// <inheritdoc />
    public ValueTask<TaskResult> RunAsync(TaskContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = (AgentBody)context.Task.Body;
        return Processes.ExecuteAsync(context.WithBody(body.AsProcess(Command)), cancellationToken);
    }
}
