namespace Fanout;

/// <summary>Runs <see cref="DelegateBody"/> tasks: C# functions from the builder API.</summary>
internal sealed class DelegateExecutor : ITaskExecutor
{
    public string Kind => "delegate";

    public async ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken)
    {
        var body = (DelegateBody)context.Task.Body;
        var value = await body.Run(context, cancellationToken);
        return value as TaskResult ?? TaskResult.FromValue(value);
    }
}
