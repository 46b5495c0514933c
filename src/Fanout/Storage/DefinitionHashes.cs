using System.Text.Json;

namespace Fanout.Storage;

/// <summary>
/// Per-task Merkle hashes of a plan: a task's hash covers what decides its result — kind, body (prompt templates,
/// model, parameters, argv, env…), fan-out spec, dependency trigger, the plan defaults a body may fall back to — and
/// its dependencies' hashes. Editing one task therefore changes its hash and every descendant's, and nothing else's;
/// resume reuses a succeeded instance only while its hash still matches. Retry, timeout, pool, description and
/// estimate are left out: they change how a task is run, not what it produces.
/// </summary>
public static class DefinitionHashes
{
    /// <summary>One hash per node of <paramref name="graph"/>, indexed like the graph.</summary>
    public static string[] Compute(TaskGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var hashes = new string[graph.Count];
        foreach (var node in graph.TopologicalOrder())
        {
            var task = graph[node];
            var parts = new List<string?>
            {
                task.Id,
                task.Kind,
                BodyText(task.Body),
                task.After.ToString(),
                task.Optional ? "optional" : null,
                task.Foreach is { } spec ? $"{spec.Path}|{spec.Items?.GetRawText()}|{spec.As}|{spec.MaxFailures}" : null,
                graph.Plan.Defaults.Provider,
                graph.Plan.Defaults.Model,
            };
            foreach (var predecessor in graph.Predecessors(node))
            {
                parts.Add(hashes[predecessor]);
            }

            hashes[node] = ContentHash.OfParts(parts);
        }

        return hashes;
    }

    /// <summary>The hash of one item of a fan-out whose task hashes to <paramref name="taskHash"/>.</summary>
    public static string ForItem(string taskHash, JsonElement item) => ContentHash.OfParts([taskHash, item.GetRawText()]);

    /// <summary>The hash of a whole plan: its tasks' hashes.</summary>
    public static string ForPlan(IEnumerable<string> taskHashes) => ContentHash.OfParts(taskHashes);

    private static string BodyText(TaskBody body)
    {
        if (body is DelegateBody d)
        {
            // A delegate's code cannot be hashed; its method's name stands for it (editing the lambda's body is not seen).
            return $"delegate:{d.Run.Method.DeclaringType?.FullName}.{d.Run.Method.Name}";
        }

        try
        {
            return JsonSerializer.Serialize(body, body.GetType());
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
        {
            // A body built in code may hold values JSON cannot write (an unset JsonElement): its text form still
            // tells definitions apart.
            return body.ToString();
        }
    }
}
