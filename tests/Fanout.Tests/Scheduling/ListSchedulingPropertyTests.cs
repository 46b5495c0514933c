using Fanout.Tests.Support;

namespace Fanout.Tests.Scheduling;

/// <summary>
/// Random DAGs in virtual time: dependencies respected, the concurrency limit never exceeded, and the makespan within
/// Graham's bound for list scheduling (W/m + (1 − 1/m)·CP) and above the trivial lower bound max(CP, W/m).
/// </summary>
public class ListSchedulingPropertyTests
{
    private const double Epsilon = 1e-6;

    private sealed record RandomPlan(PlanDefinition Plan, int Concurrency, Dictionary<string, int> Duration, Dictionary<string, string[]> Needs);

    /// <summary>Tasks get a hidden random topological position; each may depend on any earlier one. File order is shuffled.</summary>
    private static RandomPlan Generate(Random random)
    {
        var n = random.Next(5, 61);
        var density = random.NextDouble() * 0.3;
        var ids = Enumerable.Range(0, n).Select(i => $"t{i}").OrderBy(_ => random.Next()).ToArray();
        var duration = ids.ToDictionary(id => id, _ => random.Next(1, 200));
        var needs = new Dictionary<string, string[]>();
        for (var i = 0; i < n; i++)
        {
            needs[ids[i]] = ids.Take(i).Where(_ => random.NextDouble() < density).ToArray();
        }

        var useEstimates = random.Next(2) == 0;
        var builder = new PlanBuilder("random");
        foreach (var id in ids.OrderBy(_ => random.Next()))
        {
            var task = Sim.Def(id, Sim.Work(duration[id]), needs[id]);
            builder.Add(useEstimates ? task with { Estimate = TimeSpan.FromMilliseconds(duration[id]) } : task);
        }

        return new RandomPlan(builder.Build(), random.Next(1, 9), duration, needs);
    }

    private static double LongestPath(RandomPlan plan)
    {
        var memo = new Dictionary<string, double>();
        double Finish(string id) => memo.TryGetValue(id, out var f) ? f
            : memo[id] = plan.Duration[id] + plan.Needs[id].Select(Finish).DefaultIfEmpty(0).Max();
        return plan.Duration.Keys.Max(Finish);
    }

    [Fact]
    public void Random_dags_respect_dependencies_the_limit_and_grahams_bound()
    {
        var random = new Random(20260101);
        for (var g = 0; g < 200; g++)
        {
            var plan = Generate(random);
            var m = plan.Concurrency;
            var (report, events) = Sim.Run(plan.Plan, concurrency: m);
            var context = $"graph {g} ({plan.Duration.Count} tasks, m={m})";

            Assert.True(report.Status == RunStatus.Succeeded, context);

            foreach (var (id, needs) in plan.Needs)
            {
                foreach (var need in needs)
                {
                    Assert.True(report.Row(id).StartedAt >= report.Row(need).FinishedAt, $"{context}: {id} started before {need} finished");
                }

                Assert.Equal(plan.Duration[id], report.Row(id).DurationMs);
            }

            Assert.True(MostRunningAtOnce(report) <= m, $"{context}: more than {m} tasks overlapped");
            Assert.True(events.PeakRunning() <= m, $"{context}: events show more than {m} running");
            Assert.True(report.PeakConcurrency <= m, context);

            double w = plan.Duration.Values.Sum();
            var cp = LongestPath(plan);
            var makespan = report.MakespanMs;
            Assert.True(makespan <= w / m + (1 - 1.0 / m) * cp + Epsilon, $"{context}: makespan {makespan} above Graham's bound (W={w}, CP={cp})");
            Assert.True(makespan >= Math.Max(cp, w / m) - Epsilon, $"{context}: makespan {makespan} below max(CP, W/m) (W={w}, CP={cp})");
            Assert.Equal(w, report.SequentialMs);
            Assert.Equal(cp, report.CriticalPathMs);
        }
    }

    /// <summary>Sweep over start/finish times; a finish at t frees its slot before a start at t takes one.</summary>
    private static int MostRunningAtOnce(RunReport report)
    {
        var points = report.Tasks.SelectMany(t => new[] { (At: t.StartedAt!.Value, Delta: 1), (At: t.FinishedAt!.Value, Delta: -1) })
            .OrderBy(p => p.At).ThenBy(p => p.Delta);
        int running = 0, most = 0;
        foreach (var (_, delta) in points)
        {
            running += delta;
            most = Math.Max(most, running);
        }

        return most;
    }
}
