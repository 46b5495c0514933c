using Fanout.Templates;

namespace Fanout;

/// <summary>Whether a failed attempt is tried again and after how long — one rule for every engine (the in-process
/// scheduler and the distributed PostgreSQL workers).</summary>
public static class RetryDecision
{
    /// <summary>The delay before the next attempt, or null when the task has failed for good: the error is not
    /// retryable (a template that does not render will not render next time either) or no attempts are left. A
    /// provider's Retry-After is a floor: retrying sooner would only be refused again.</summary>
    /// <param name="task">The task.</param>
    /// <param name="plan">Its plan (for the default retry policy).</param>
    /// <param name="error">What the attempt failed with.</param>
    /// <param name="attempts">Attempts made so far that count against the policy.</param>
    /// <param name="random">Jitter source.</param>
    public static TimeSpan? Next(TaskDefinition task, PlanDefinition plan, Exception error, int attempts, Random random)
    {
        var retry = task.Retry ?? plan.Defaults.Retry;
        var retryable = error is not (TaskFailedException { Retryable: false } or PlanException or TemplateException);
        if (!retryable || attempts >= retry.MaxAttempts)
        {
            return null;
        }

        var delay = retry.DelayFor(attempts, random);
        return (error as RateLimitedException)?.RetryAfter is { } wait && wait > delay ? wait : delay;
    }
}
