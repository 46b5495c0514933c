namespace Fanout;

/// <summary>
/// Which tasks may reuse cached results. A task's <c>cache:</c> decides; else a plan's <c>cache: false</c> turns
/// caching off; else prompts at temperature 0 (or under a plan's <c>cache: true</c>) and merges are cached, and
/// processes only when declared <c>pure: true</c> — a process may read or write anything, so reusing its result is
/// only safe when the plan says so.
/// </summary>
public static class CachePolicy
{
    /// <summary>Whether <paramref name="task"/> of <paramref name="plan"/> may use the result cache.</summary>
    public static bool Allows(TaskDefinition task, PlanDefinition plan)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(plan);
        if (task.Cache is { } explicitly)
        {
            return explicitly;
        }

        if (plan.Cache == false)
        {
            return false;
        }

        return task.Body switch
        {
            PromptBody prompt => plan.Cache == true || prompt.Temperature == 0,
            MergeBody or SectionsMergeBody => true,
            ProcessBody => task.Pure,
            _ => false,
        };
    }
}
