namespace Fanout.Cli.Estimating;

/// <summary>
/// Stands in for a real executor in <c>fanout estimate</c>: waits the task's estimate on the run's (virtual) clock and
/// returns null, so no process starts and nothing is called. With <paramref name="inner"/> (pure, in-process kinds
/// such as merge) it also tries the real work so downstream tasks see real values where they can; if that fails on
/// the stand-in nulls, the task still counts as done.
/// </summary>
internal sealed class EstimatedExecutor(string kind, ITaskExecutor? inner = null) : ITaskExecutor
{
    public string Kind => kind;

    public async ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken)
    {
        await Task.Delay(RunOptions.DefaultEstimate(context.Task), context.Time, cancellationToken);
        if (inner is not null)
        {
            try
            {
                return await inner.ExecuteAsync(context, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The inputs were stand-ins; the time is what the estimate is about.
            }
        }

        return TaskResult.FromValue(null);
    }
}
