using System.Collections.Immutable;

namespace Fanout;

/// <summary>
/// Turns the scheduler's instance records into a <see cref="RunReport"/>: per-task rows, the critical path (longest
/// chain of dependent work by measured duration, fan-out items counted individually), and the lower bound
/// max(critical path, work/concurrency, work in each pool/pool size, the providers' rate limits) against which
/// efficiency is measured, where work is the time attempts actually ran (not the time a provider's limits held them).
/// </summary>
/// <remarks>Public so that every engine (the in-process scheduler, the distributed PostgreSQL workers) reports a run
/// by the same rules.</remarks>
public static class ReportBuilder
{
    /// <summary>The report of a run from its instance records.</summary>
    /// <param name="graph">The run's task graph.</param>
    /// <param name="instances">One record per graph node (by node index), then the fan-out items (see <see cref="Instance.Children"/>).</param>
    /// <param name="runId">The run's id.</param>
    /// <param name="status">How the run ended.</param>
    /// <param name="startedAt">When the run started.</param>
    /// <param name="finishedAt">When the run finished.</param>
    /// <param name="concurrency">The run's concurrency limit.</param>
    /// <param name="peakConcurrency">The most attempts that ran at one moment.</param>
    /// <param name="extras">What the report holds besides the instance records, if anything.</param>
    public static RunReport Build(TaskGraph graph, IReadOnlyList<Instance> instances, string runId, RunStatus status,
        DateTimeOffset startedAt, DateTimeOffset finishedAt, int concurrency, int peakConcurrency, ReportExtras? extras = null)
    {
        var units = WorkUnits(graph, instances);
        var duration = units.ToDictionary(u => u, u => Duration(instances[u]));
        var (path, pathMs) = CriticalPath(graph, instances, units, duration);
        var onPath = path.ToHashSet();
        var sequentialMs = duration.Values.Sum();
        var makespanMs = (finishedAt - startedAt).TotalMilliseconds;
        // Work holds a slot only while an attempt runs: retry backoff counts on the critical path (dependents wait
        // for it) but not as work, otherwise the bound can exceed the makespan of the very schedule that produced it.
        // Time held by a provider's rate limits is wait, not work; the limits themselves are a term of their own.
        var busy = units.ToDictionary(u => u, u => Math.Max(0, instances[u].AttemptLog.Sum(a => Math.Max(0, (a.FinishedAt - a.StartedAt).TotalMilliseconds)) - instances[u].HeldMs));
        var lowerBound = Math.Max(Math.Max(pathMs, busy.Values.Sum() / concurrency), RateLimitBound.Ms(units.Select(u => instances[u]), extras?.Limits ?? []));
        var pools = new List<PoolUtilisation>();
        foreach (var (pool, size) in graph.Plan.Pools.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var poolWork = units.Where(u => InPool(graph[instances[u].Node], pool)).Sum(u => busy[u]);
            lowerBound = Math.Max(lowerBound, poolWork / size);
            pools.Add(new PoolUtilisation
            {
                Pool = pool,
                Size = size,
                BusyMs = Math.Round(poolWork, 3),
                Utilisation = makespanMs > 0 ? Math.Round(poolWork / (size * makespanMs), 4) : 0,
            });
        }

        var rows = new List<TaskReport>();
        foreach (var node in graph.TopologicalOrder())
        {
            var record = instances[node];
            if (record.Children is { } children)
            {
                rows.Add(Row(graph, record, children.Select(c => instances[c]).ToList(), children.Any(onPath.Contains)));
                rows.AddRange(children.Select(c => Row(graph, instances[c], null, onPath.Contains(c))));
            }
            else
            {
                rows.Add(Row(graph, record, null, onPath.Contains(node)));
            }
        }

        var unitRecords = units.Select(u => instances[u]).ToList();
        return new RunReport
        {
            RunId = runId,
            Plan = graph.Plan.Name,
            Status = status,
            StartedAt = startedAt,
            FinishedAt = finishedAt,
            MakespanMs = Math.Round(makespanMs, 3),
            SequentialMs = Math.Round(sequentialMs, 3),
            Speedup = makespanMs > 0 ? Math.Round(sequentialMs / makespanMs, 3) : 1,
            CriticalPath = path.Select(u => instances[u].Id).ToImmutableArray(),
            CriticalPathMs = Math.Round(pathMs, 3),
            LowerBoundMs = Math.Round(lowerBound, 3),
            Efficiency = makespanMs > 0 ? Math.Round(Math.Min(1, lowerBound / makespanMs), 4) : 1,
            Concurrency = concurrency,
            PeakConcurrency = peakConcurrency,
            Tokens = new TokenTotals(unitRecords.Sum(r => r.Tokens.Input), unitRecords.Sum(r => r.Tokens.Output)),
            CostUsd = unitRecords.Sum(r => r.Cost),
            Retries = unitRecords.Sum(r => Math.Max(0, r.Attempts - 1)),
            CacheHits = unitRecords.Count(r => r.Result?.CacheHit == true),
            CostSavedUsd = unitRecords.Sum(r => r.Result?.CostSavedUsd ?? 0),
            RateLimited = unitRecords.Sum(r => r.RateLimited) + (extras?.Provider?.RateLimited ?? 0),
            BudgetUsd = extras?.BudgetUsd,
            Compensations = extras?.Compensations ?? [],
            Pools = extras?.Provider?.Pools,
            InferredEdges = [.. graph.InferredEdges.Select(e => InferredEdgeRow(graph, instances, e, startedAt))],
            PoolUtilisation = [.. pools],
            Counts = rows.Where(r => r.Items is null).GroupBy(r => r.Status.ToWire()).ToImmutableDictionary(g => g.Key, g => g.Count()),
            Tasks = [.. rows],
        };
    }

    private static bool InPool(TaskDefinition task, string pool) => task.Pool == pool || task.ExtraPools.Contains(pool);

    /// <summary>An inferred edge held its later task back by the time between when the task's other dependencies had
    /// all settled (or the run started) and when the edge's earlier task settled.</summary>
    private static InferredEdgeReport InferredEdgeRow(TaskGraph graph, IReadOnlyList<Instance> instances, InferredEdge edge, DateTimeOffset startedAt)
    {
        var otherwise = startedAt;
        foreach (var p in graph.Predecessors(edge.To))
        {
            if (p != edge.From && instances[p].FinishedAt is { } f && f > otherwise)
            {
                otherwise = f;
            }
        }

        var held = instances[edge.From].FinishedAt is { } settled && instances[edge.To].StartedAt is not null
            ? Math.Max(0, (settled - otherwise).TotalMilliseconds)
            : 0;
        return new InferredEdgeReport { From = graph[edge.From].Id, To = graph[edge.To].Id, Reason = edge.Reason, HeldMs = Math.Round(held, 3) };
    }

    /// <summary>Instances that do work: every task except fan-out groups, plus every fan-out item.</summary>
    private static List<int> WorkUnits(TaskGraph graph, IReadOnlyList<Instance> instances)
    {
        var units = new List<int>(instances.Count);
        foreach (var node in graph.TopologicalOrder())
        {
            if (instances[node].Children is { } children)
            {
                units.AddRange(children);
            }
            else if (graph[node].Foreach is null)
            {
                units.Add(node);
            }
        }

        return units;
    }

    private static double Duration(Instance record) =>
        record is { StartedAt: { } start, FinishedAt: { } end } ? Math.Max(0, (end - start).TotalMilliseconds - record.HeldMs) : 0;

    private static (List<int> Path, double Ms) CriticalPath(TaskGraph graph, IReadOnlyList<Instance> instances, List<int> units, Dictionary<int, double> duration)
    {
        var distance = new Dictionary<int, double>();
        var previous = new Dictionary<int, int>();
        var nodeBest = new Dictionary<int, (double Distance, int Unit)>();
        IEnumerable<int> UnitsOf(int node) => instances[node].Children ?? (graph[node].Foreach is null ? [node] : []);

        // The longest path ending in any unit of a node, computed once per node: every unit of a dependent node shares
        // it, so a fan-out of n items feeding one of m items costs n + m rather than n·m.
        (double Distance, int Unit) BestOf(int node)
        {
            if (nodeBest.TryGetValue(node, out var known))
            {
                return known;
            }

            var best = (Distance: 0.0, Unit: -1);
            foreach (var unit in UnitsOf(node))
            {
                if (distance.TryGetValue(unit, out var d) && (d > best.Distance || best.Unit < 0 && d >= best.Distance))
                {
                    best = (d, unit);
                }
            }

            return nodeBest[node] = best;
        }

        // Units are in topological order of their nodes, so every predecessor's distance is known when needed.
        foreach (var unit in units)
        {
            var best = 0.0;
            var bestPrevious = -1;
            foreach (var predecessor in graph.Predecessors(instances[unit].Node))
            {
                var (d, before) = BestOf(predecessor);
                if (before >= 0 && (d > best || bestPrevious < 0 && d >= best))
                {
                    (best, bestPrevious) = (d, before);
                }
            }

            distance[unit] = best + duration[unit];
            previous[unit] = bestPrevious;
        }

        if (distance.Count == 0)
        {
            return ([], 0);
        }

        var end = distance.MaxBy(d => d.Value).Key;
        var path = new List<int>();
        for (var at = end; at >= 0; at = previous[at])
        {
            path.Add(at);
        }

        path.Reverse();
        return (path, distance[end]);
    }

    private static TaskReport Row(TaskGraph graph, Instance record, List<Instance>? children, bool critical)
    {
        var task = graph[record.Node];
        var result = record.Result;
        var accounted = children ?? [record];
        var hasTokens = accounted.Any(r => r.HasTokens);
        var hasCost = accounted.Any(r => r.HasCost);
        return new TaskReport
        {
            Id = record.Id,
            Kind = task.Kind,
            Status = record.State,
            Description = record.Group < 0 ? task.Description : null,
            Parent = record.Group >= 0 ? task.Id : null,
            Index = record.Index >= 0 ? record.Index : null,
            Items = children?.Count,
            Needs = record.Group < 0 ? task.Needs : [],
            Attempts = record.Attempts,
            QueuedAt = record.ReadyAt,
            StartedAt = record.StartedAt,
            FinishedAt = record.FinishedAt,
            DurationMs = Math.Round(Duration(record), 3),
            WaitMs = Math.Round(record.WaitMs + record.HeldMs, 3),
            Provider = result?.Provider ?? children?.Select(c => c.Result?.Provider).FirstOrDefault(p => p is not null),
            Model = result?.Model ?? children?.Select(c => c.Result?.Model).FirstOrDefault(m => m is not null),
            Key = result?.Key,
            Tokens = hasTokens ? new TokenTotals(accounted.Sum(r => r.Tokens.Input), accounted.Sum(r => r.Tokens.Output)) : null,
            CostUsd = hasCost ? accounted.Sum(r => r.Cost) : null,
            CacheHit = result?.CacheHit == true ? true : null,
            CostSavedUsd = result?.CostSavedUsd,
            Error = record.Error,
            Output = result?.Output,
            Details = result?.Details,
            Artifacts = result is { Artifacts.IsDefaultOrEmpty: false } ? result.Artifacts : null,
            Critical = critical,
            AttemptLog = [.. record.AttemptLog],
        };
    }
}

/// <summary>What the report holds besides the instance records: the run's budget, what a rollback undid, and what the
/// provider layer saw.</summary>
/// <param name="BudgetUsd">The run's budget in US dollars, if it has one.</param>
/// <param name="Compensations">What a rollback undid.</param>
/// <param name="Provider">What the provider layer saw.</param>
/// <param name="Limits">The limits each provider's keys declared.</param>
public sealed record ReportExtras(decimal? BudgetUsd, ImmutableArray<CompensationReport> Compensations, ProviderFacts? Provider,
    ImmutableArray<ProviderLimits> Limits = default);
