using Fanout.Footprints;

namespace Fanout;

/// <summary>An ordering edge the graph compiler added because two tasks' footprints conflict.</summary>
/// <param name="From">The earlier task's node (declared first).</param>
/// <param name="To">The later task's node: it starts only once <paramref name="From"/> has settled.</param>
/// <param name="Conflict">What overlaps.</param>
/// <param name="Reason">One line for people, e.g. <c>read-after-write: 'check' reads out/a.txt, which 'write' writes</c>.</param>
public sealed record InferredEdge(int From, int To, FootprintConflict Conflict, string Reason);

/// <summary>
/// Orders tasks whose footprints conflict in declaration order, and leaves the rest parallel. For each footprinted
/// task, latest earlier task first, a conflict adds an edge earlier → later unless the two are already ordered (then
/// it would be redundant). A later task that the earlier one already depends on (through <c>needs</c>) cannot follow
/// declaration order without a cycle: that is reported as a plan error naming both tasks and the resource. Tasks that
/// only compensate others run after the run and take no part. Cost: O(k²) footprint checks for k footprinted tasks,
/// plus a graph search per conflict.
/// </summary>
internal static class FootprintOrder
{
    public static (List<InferredEdge> Edges, List<PlanDiagnostic> Problems) Infer(PlanDefinition plan, IReadOnlyDictionary<string, int> index)
    {
        var edges = new List<InferredEdge>();
        var problems = new List<PlanDiagnostic>();
        var tasks = plan.Tasks;
        var compensations = tasks.Select(t => t.Compensate).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var footprinted = Enumerable.Range(0, tasks.Length)
            .Where(v => !tasks[v].Footprint.IsEmpty && !compensations.Contains(tasks[v].Id)).ToList();
        if (footprinted.Count < 2)
        {
            return (edges, problems);
        }

        var successors = new List<int>[tasks.Length];
        for (var v = 0; v < tasks.Length; v++)
        {
            successors[v] = [];
        }

        for (var v = 0; v < tasks.Length; v++)
        {
            foreach (var need in tasks[v].Needs)
            {
                successors[index[need]].Add(v);
            }
        }

        for (var b = 1; b < footprinted.Count; b++)
        {
            var later = footprinted[b];
            for (var a = b - 1; a >= 0; a--)
            {
                var earlier = footprinted[a];
                if (tasks[earlier].Footprint.ConflictWith(tasks[later].Footprint) is not { } conflict)
                {
                    continue;
                }

                var reason = conflict.Describe(tasks[earlier].Id, tasks[later].Id);
                if (Reaches(successors, later, earlier))
                {
                    problems.Add(new(
                        $"task '{tasks[earlier].Id}' depends on '{tasks[later].Id}', which is declared after it, but their footprints " +
                        $"conflict ({reason}) and conflicting tasks run in declaration order; declare '{tasks[later].Id}' first",
                        tasks[earlier].Locate("needs") ?? tasks[earlier].Locate("id")));
                    continue;
                }

                if (!Reaches(successors, earlier, later))
                {
                    successors[earlier].Add(later);
                    edges.Add(new InferredEdge(earlier, later, conflict, reason));
                }
            }
        }

        return (edges, problems);
    }

    /// <summary>Whether <paramref name="to"/> is reachable from <paramref name="from"/> (so it runs after it).</summary>
    private static bool Reaches(List<int>[] successors, int from, int to)
    {
        var seen = new HashSet<int> { from };
        var stack = new Stack<int>();
        stack.Push(from);
        while (stack.TryPop(out var v))
        {
            foreach (var s in successors[v])
            {
                if (s == to)
                {
                    return true;
                }

                if (seen.Add(s))
                {
                    stack.Push(s);
                }
            }
        }

        return false;
    }
}
