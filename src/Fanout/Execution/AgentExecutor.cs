namespace Fanout;

/// <summary>Runs one <c>agent</c> task's attempt: a real CLI process or a stand-in.</summary>
public interface IAgentWorker
{
    /// <summary>Runs the <see cref="AgentBody"/> of <paramref name="context"/>'s task.</summary>
    ValueTask<TaskResult> RunAsync(TaskContext context, CancellationToken cancellationToken);
}

/// <summary>Maps a worker name to what runs it. Implemented by Fanout.Providers (which falls back to a simulated
/// worker when the CLI is not installed, as providers fall back to the simulator without a key).</summary>
public interface IAgentWorkerResolver
{
    /// <summary>The worker for <paramref name="name"/> in <paramref name="plan"/>.</summary>
    IAgentWorker Resolve(string name, PlanDefinition plan);
}

/// <summary>Runs <see cref="AgentBody"/> tasks through the worker the resolver picks.</summary>
public sealed class AgentExecutor(IAgentWorkerResolver resolver) : ITaskExecutor
{
    private readonly IAgentWorkerResolver _resolver = resolver ?? throw new ArgumentNullException(nameof(resolver));

    /// <inheritdoc />
    public string Kind => "agent";

    /// <inheritdoc />
    public ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = (AgentBody)context.Task.Body;
        return _resolver.Resolve(body.Worker, context.Plan).RunAsync(context, cancellationToken);
    }
}
