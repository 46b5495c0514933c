using System.Runtime.CompilerServices;

namespace Fanout;

/// <summary>
/// Which prompts go through a provider's Batch API: every <c>mode: batch</c> one, and a <c>mode: auto</c> one only
/// when it can wait — its slack (how much later it could finish without lengthening the estimated critical path)
/// exceeds its batch window. Slack is the critical path's length less the longest path through the task: the
/// longest chain of estimates before it plus its upward rank (<see cref="TaskGraph.UpwardRanks"/>).
/// </summary>
public static class BatchSlack
{
    private static readonly ConditionalWeakTable<PlanDefinition, HashSet<string>> Batched = [];

    /// <summary>Each node's slack in milliseconds under <paramref name="estimate"/>.</summary>
    public static double[] Slack(TaskGraph graph, Func<TaskDefinition, TimeSpan> estimate)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(estimate);
        var up = graph.UpwardRanks(estimate);
        var before = new double[graph.Count];
        foreach (var v in graph.TopologicalOrder())
        {
            foreach (var p in graph.Predecessors(v))
            {
                before[v] = Math.Max(before[v], before[p] + estimate(graph[p]).TotalMilliseconds);
            }
        }

        var critical = up.Length == 0 ? 0 : up.Max();
        var slack = new double[graph.Count];
        for (var v = 0; v < graph.Count; v++)
        {
            slack[v] = critical - (before[v] + up[v]);
        }

        return slack;
    }

    /// <summary>Whether <paramref name="task"/> of <paramref name="plan"/> goes through the Batch API (computed once per plan,
    /// with <see cref="RunOptions.DefaultEstimate"/>).</summary>
    public static bool UsesBatch(PlanDefinition plan, TaskDefinition task)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(task);
        return task.Body switch
        {
            PromptBody { Mode: PromptMode.Batch } => true,
            PromptBody { Mode: PromptMode.Auto } => Batched.GetValue(plan, Compute).Contains(task.Id),
            _ => false,
        };
    }

    private static HashSet<string> Compute(PlanDefinition plan)
    {
        var graph = TaskGraph.Compile(plan);
        var slack = Slack(graph, RunOptions.DefaultEstimate);
        var batched = new HashSet<string>(StringComparer.Ordinal);
        for (var v = 0; v < graph.Count; v++)
        {
            if (graph[v].Body is PromptBody { Mode: PromptMode.Auto } body
                && slack[v] > (body.BatchWindow ?? PromptBody.DefaultBatchWindow).TotalMilliseconds)
            {
                batched.Add(graph[v].Id);
            }
        }

        return batched;
    }
}
