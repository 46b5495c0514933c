using System.Collections.Immutable;

namespace Fanout;

/// <summary>
/// A validated, immutable plan compiled to integer node ids with CSR (compressed sparse row) successor and
/// predecessor arrays, so the scheduler walks edges without dictionaries or allocation.
/// </summary>
public sealed class TaskGraph
{
    private readonly int[] _successorStart;
    private readonly int[] _successors;
    private readonly int[] _predecessorStart;
    private readonly int[] _predecessors;
    private readonly Dictionary<string, int> _index;
    private readonly HashSet<(int From, int To)> _inferred;
    private readonly int[] _compensation;

    private TaskGraph(PlanDefinition plan, Dictionary<string, int> index, List<InferredEdge> inferred)
    {
        Plan = plan;
        _index = index;
        InferredEdges = inferred;
        _inferred = [.. inferred.Select(e => (e.From, e.To))];
        var n = plan.Tasks.Length;
        // Most plans declare no footprints: then there is nothing to look up per node.
        var inferredInto = inferred.Count == 0 ? null : inferred.ToLookup(e => e.To, e => e.From);
        _compensation = new int[n];
        _predecessorStart = new int[n + 1];
        _successorStart = new int[n + 1];
        var outDegree = new int[n];
        for (var v = 0; v < n; v++)
        {
            _compensation[v] = plan.Tasks[v].Compensate is { } undo ? index[undo] : -1;
            _predecessorStart[v + 1] = _predecessorStart[v] + plan.Tasks[v].Needs.Length + (inferredInto?[v].Count() ?? 0);
            foreach (var need in plan.Tasks[v].Needs)
            {
                outDegree[index[need]]++;
            }
        }

        foreach (var edge in inferred)
        {
            outDegree[edge.From]++;
        }

        _predecessors = new int[_predecessorStart[n]];
        for (var v = 0; v < n; v++)
        {
            _successorStart[v + 1] = _successorStart[v] + outDegree[v];
            var k = _predecessorStart[v];
            foreach (var need in plan.Tasks[v].Needs)
            {
                _predecessors[k++] = index[need];
            }

            foreach (var from in inferredInto?[v] ?? [])
            {
                _predecessors[k++] = from;
            }
        }

        IsCompensation = new bool[n];
        foreach (var c in _compensation.Where(c => c >= 0))
        {
            IsCompensation[c] = true;
        }

        _successors = new int[_successorStart[n]];
        var fill = (int[])_successorStart.Clone();
        for (var v = 0; v < n; v++)
        {
            foreach (var u in Predecessors(v))
            {
                _successors[fill[u]++] = v;
            }
        }
    }

    /// <summary>The plan this graph was compiled from.</summary>
    public PlanDefinition Plan { get; }

    /// <summary>Number of nodes.</summary>
    public int Count => Plan.Tasks.Length;

    /// <summary>The task of node <paramref name="node"/>.</summary>
    public TaskDefinition this[int node] => Plan.Tasks[node];

    /// <summary>Nodes that depend on <paramref name="node"/>.</summary>
    public ReadOnlySpan<int> Successors(int node) =>
        _successors.AsSpan(_successorStart[node], _successorStart[node + 1] - _successorStart[node]);

    /// <summary>Ordering edges added because footprints conflict, in the order they were inferred.</summary>
    public IReadOnlyList<InferredEdge> InferredEdges { get; }

    /// <summary>Whether the edge <paramref name="from"/> → <paramref name="to"/> was inferred from footprints: it orders
    /// the two, but a failure of <paramref name="from"/> does not skip <paramref name="to"/>.</summary>
    public bool IsInferred(int from, int to) => _inferred.Contains((from, to));

    /// <summary>The node that compensates <paramref name="node"/> on rollback, or -1.</summary>
    public int CompensationOf(int node) => _compensation[node];

    /// <summary>Per node: whether it is a compensation, which runs only on rollback.</summary>
    internal bool[] IsCompensation { get; }

    /// <summary>Nodes <paramref name="node"/> depends on: its <c>needs</c> in order, then inferred predecessors.</summary>
    public ReadOnlySpan<int> Predecessors(int node) =>
        _predecessors.AsSpan(_predecessorStart[node], _predecessorStart[node + 1] - _predecessorStart[node]);

    /// <summary>The node of task <paramref name="id"/>, or -1.</summary>
    public int IndexOf(string id) => _index.GetValueOrDefault(id, -1);

    /// <summary>
    /// Upward rank (HEFT with identical workers): a node's estimated duration plus the largest rank among its
    /// successors, i.e. the longest remaining path to the end. Ready tasks with a higher rank go first.
    /// </summary>
    public double[] UpwardRanks(Func<TaskDefinition, TimeSpan> estimate)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        var rank = new double[Count];
        var order = TopologicalOrder();
        for (var i = order.Length - 1; i >= 0; i--)
        {
            var v = order[i];
            var tail = 0.0;
            foreach (var s in Successors(v))
            {
                tail = Math.Max(tail, rank[s]);
            }

            rank[v] = estimate(this[v]).TotalMilliseconds + tail;
        }

        return rank;
    }

    /// <summary>Nodes in an order where every node comes after its dependencies (Kahn's algorithm, stable by file order).</summary>
    public int[] TopologicalOrder()
    {
        var indegree = new int[Count];
        for (var v = 0; v < Count; v++)
        {
            indegree[v] = Predecessors(v).Length;
        }

        var order = new int[Count];
        int head = 0, tail = 0;
        for (var v = 0; v < Count; v++)
        {
            if (indegree[v] == 0)
            {
                order[tail++] = v;
            }
        }

        while (head < tail)
        {
            foreach (var s in Successors(order[head++]))
            {
                if (--indegree[s] == 0)
                {
                    order[tail++] = s;
                }
            }
        }

        return order;
    }

    /// <summary>Validates and compiles a plan; throws <see cref="PlanException"/> with every problem found.</summary>
    public static TaskGraph Compile(PlanDefinition plan)
    {
        var diagnostics = Validate(plan);
        if (diagnostics.Count > 0)
        {
            throw new PlanException(diagnostics);
        }

        var index = BuildIndex(plan);
        return new TaskGraph(plan, index, FootprintOrder.Infer(plan, index).Edges);
    }

    /// <summary>
    /// Every problem in the plan: invalid or duplicate ids, unknown or self dependencies, cycles (with their path),
    /// undeclared pools, output schemas that do not compile, contracts (see <c>ContractChecker</c>), and template references to tasks or inputs that do not exist or are not in <c>needs</c>.
    /// </summary>
    public static IReadOnlyList<PlanDiagnostic> Validate(PlanDefinition plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var diagnostics = new List<PlanDiagnostic>();
        var seen = new Dictionary<string, TaskDefinition>(StringComparer.Ordinal);
        foreach (var task in plan.Tasks)
        {
            if (!Names.IsValid(task.Id))
            {
                diagnostics.Add(new($"invalid task id '{task.Id}': use letters, digits, '_' and '-', starting with a letter or '_'", task.Locate("id")));
            }

            if (!seen.TryAdd(task.Id, task))
            {
                diagnostics.Add(new($"duplicate task id '{task.Id}' (first defined at {seen[task.Id].Locate("id")})", task.Locate("id")));
            }
        }

        var ids = Names.Index(seen.Keys);
        foreach (var task in plan.Tasks)
        {
            for (var i = 0; i < task.Needs.Length; i++)
            {
                var need = task.Needs[i];
                if (need == task.Id)
                {
                    diagnostics.Add(new($"task '{task.Id}' depends on itself", task.Locate($"needs[{i}]")));
                }
                else if (!seen.ContainsKey(need))
                {
                    diagnostics.Add(new($"task '{task.Id}' needs unknown task '{need}'{ids.DidYouMean(need)}", task.Locate($"needs[{i}]")));
                }
            }

            if (task.Foreach is { } spec)
            {
                diagnostics.AddRange(ForeachProblems(task, spec));
            }

            diagnostics.AddRange(LimitProblems($"task '{task.Id}'", task.Timeout, task.Retry, task.Locate("timeout")));

            if (task.Body is PromptBody { Schema: not null } prompt && OutputSchemaProblem(task, prompt) is { } schemaProblem)
            {
                diagnostics.Add(schemaProblem);
            }

            foreach (var pool in task.ExtraPools.Prepend(task.Pool).OfType<string>())
            {
                if (!plan.Pools.ContainsKey(pool))
                {
                    diagnostics.Add(new($"task '{task.Id}' uses undeclared pool '{pool}'{Names.DidYouMean(pool, plan.Pools.Keys)}; declare it under 'pools:'", task.Locate("pool")));
                }
            }
        }

        diagnostics.AddRange(LimitProblems("defaults", plan.Defaults.Timeout, plan.Defaults.Retry, null));
        foreach (var (name, size) in plan.Pools)
        {
            if (size < 1)
            {
                diagnostics.Add(new($"pool '{name}' must allow at least 1 task (got {size})"));
            }
        }

        diagnostics.AddRange(FindCycles(plan, seen));
        diagnostics.AddRange(Compensations.Check(plan, seen, ids));
        if (diagnostics.Count == 0 && plan.Tasks.Any(t => !t.Footprint.IsEmpty))
        {
            // Footprint order needs a sound graph of needs to reason about.
            diagnostics.AddRange(FootprintOrder.Infer(plan, BuildIndex(plan)).Problems);
        }

        diagnostics.AddRange(Templates.ReferenceChecker.Check(plan, seen, ids));
        diagnostics.AddRange(ContractChecker.Check(plan, seen, ids));
        return diagnostics;
    }

    /// <summary>An <c>output.schema</c> that does not compile would fail the task at run time; say so now (compiling
    /// here also caches the schema for the run).</summary>
    private static PlanDiagnostic? OutputSchemaProblem(TaskDefinition task, PromptBody body) =>
        SchemaCache.For(body).Error is { } error ? new($"task '{task.Id}' output schema is invalid: {error}", task.Locate("output")) : null;

    /// <summary>Timeouts and retry settings the scheduler's timers can honour (a negative delay would throw mid-run).</summary>
    private static IEnumerable<PlanDiagnostic> LimitProblems(string owner, TimeSpan? timeout, RetryPolicy? retry, SourceLocation? location)
    {
        if (timeout is { } t && t <= TimeSpan.Zero)
        {
            yield return new($"{owner}: timeout must be positive (got {t})", location);
        }

        if (retry is null)
        {
            yield break;
        }

        if (retry.MaxAttempts < 1)
        {
            yield return new($"{owner}: retry max_attempts must be at least 1 (got {retry.MaxAttempts})", location);
        }

        if (retry.BaseDelay < TimeSpan.Zero || retry.MaxDelay < TimeSpan.Zero)
        {
            yield return new($"{owner}: retry delays must not be negative", location);
        }
    }

    /// <summary>A fan-out needs exactly one source, a usable <c>as</c> name and a non-negative failure threshold.</summary>
    private static IEnumerable<PlanDiagnostic> ForeachProblems(TaskDefinition task, ForeachSpec spec)
    {
        var location = task.Locate("foreach");
        if ((spec.Path is null) == (spec.Items is null))
        {
            yield return new($"task '{task.Id}' foreach needs exactly one of a path (e.g. tasks.plan.output.items) or literal items", location);
        }

        if (spec.Items is { ValueKind: not System.Text.Json.JsonValueKind.Array } items)
        {
            yield return new($"task '{task.Id}' foreach items must be an array, not {items.ValueKind.ToString().ToLowerInvariant()}", location);
        }

        // The as: name sits next to inputs, tasks and index in the template scope and must not hide them.
        if (!Names.IsValid(spec.As) || spec.As is "inputs" or "tasks" or "index")
        {
            yield return new($"task '{task.Id}' foreach as: '{spec.As}' is not usable; pick a name other than inputs, tasks and index", location);
        }

        if (spec.MaxFailures < 0)
        {
            yield return new($"task '{task.Id}' foreach max_failures must be 0 or more (got {spec.MaxFailures})", location);
        }
    }

    private static Dictionary<string, int> BuildIndex(PlanDefinition plan)
    {
        var index = new Dictionary<string, int>(plan.Tasks.Length, StringComparer.Ordinal);
        for (var i = 0; i < plan.Tasks.Length; i++)
        {
            index[plan.Tasks[i].Id] = i;
        }

        return index;
    }

    /// <summary>Iterative DFS with colours; reports each cycle once as a path <c>a → b → c → a</c>.</summary>
    private static IEnumerable<PlanDiagnostic> FindCycles(PlanDefinition plan, Dictionary<string, TaskDefinition> byId)
    {
        const byte White = 0, Grey = 1, Black = 2;
        var colour = new Dictionary<string, byte>(StringComparer.Ordinal);
        var found = new List<PlanDiagnostic>();
        foreach (var root in plan.Tasks)
        {
            if (colour.GetValueOrDefault(root.Id) != White)
            {
                continue;
            }

            var stack = new List<(string Id, int Next)> { (root.Id, 0) };
            colour[root.Id] = Grey;
            while (stack.Count > 0)
            {
                var (id, next) = stack[^1];
                var needs = byId[id].Needs;
                if (next == needs.Length)
                {
                    colour[id] = Black;
                    stack.RemoveAt(stack.Count - 1);
                    continue;
                }

                stack[^1] = (id, next + 1);
                var need = needs[next];
                if (need == id || !byId.ContainsKey(need))
                {
                    // Reported above as a self or unknown dependency; a cycle search over the rest still runs.
                    continue;
                }

                switch (colour.GetValueOrDefault(need))
                {
                    case White:
                        colour[need] = Grey;
                        stack.Add((need, 0));
                        break;
                    case Grey:
                        var start = stack.FindIndex(f => f.Id == need);
                        // The stack walks "needs" edges; print the cycle in execution order (dependency first).
                        var path = stack.Skip(start).Select(f => f.Id).Reverse().Prepend(need).ToList();
                        found.Add(new($"dependency cycle: {string.Join(" → ", path)}", byId[need].Locate("needs")));
                        break;
                }
            }
        }

        return found;
    }
}
