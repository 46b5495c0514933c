namespace Fanout;

/// <summary>Runs <see cref="PromptBody"/> tasks through the chat client the resolver picks.</summary>
public sealed class PromptExecutor(IChatClientResolver resolver) : ITaskExecutor
{
    private readonly IChatClientResolver _resolver = resolver;

    /// <inheritdoc />
    public string Kind => "prompt";

    /// <inheritdoc />
    public ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken) => throw new NotImplementedException(_resolver.ToString());
}
