namespace Fanout;

/// <summary>Runs one attempt of a task of one kind. Executors are stateless and called concurrently.</summary>
public interface ITaskExecutor
{
    /// <summary>The task kind this executor handles (<c>prompt</c>, <c>process</c>…).</summary>
    string Kind { get; }

    /// <summary>
    /// Runs one attempt. Throw <see cref="TaskFailedException"/> (or any exception) to fail the attempt; the scheduler
    /// decides whether to retry. <paramref name="cancellationToken"/> fires on timeout and cancellation.
    /// </summary>
    ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken);
}
