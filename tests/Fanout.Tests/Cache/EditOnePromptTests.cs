using Fanout.Plans;
using Fanout.Tests.Cli;
using Fanout.Tests.Plans;
using Fanout.Time;

namespace Fanout.Tests.Cache;

/// <summary>examples/site-generator: edit one prompt, run again with the same store — only that task and its
/// descendants execute; everything else is a cache hit in the report.</summary>
public sealed class EditOnePromptTests : IDisposable
{
    private const string Edited = "design_context";
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private RunReport Run(string outDirectory)
    {
        var clock = new VirtualClock();
        _cli.Time = clock;
        var result = VirtualTime.Run(clock, () => _cli.RunAsync("run", _cli.FilePath("plan.yaml"), "--plain", "--out", outDirectory));
        Assert.True(result.ExitCode == 0, result.ToString());
        return RunReport.FromJson(File.ReadAllText(_cli.FilePath(Path.Combine(outDirectory, "run.json"))));
    }

    private static HashSet<string> WithDescendants(TaskGraph graph, string id)
    {
        var found = new HashSet<string>(StringComparer.Ordinal) { id };
        var queue = new Queue<int>([graph.IndexOf(id)]);
        while (queue.TryDequeue(out var node))
        {
            foreach (var successor in graph.Successors(node))
            {
                if (found.Add(graph[successor].Id))
                {
                    queue.Enqueue(successor);
                }
            }
        }

        return found;
    }

    [Fact]
    public void Editing_one_prompt_reruns_only_that_task_and_its_descendants_and_the_rest_are_cache_hits()
    {
        var original = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "examples", "site-generator", "plan.yaml"));
        _cli.Plan(original);
        var first = Run("first");
        Assert.Equal(0, first.CacheHits);

        var anchor = "Establish the visual design context for:";
        Assert.Contains(anchor, original, StringComparison.Ordinal);
        _cli.Plan(original.Replace(anchor, "Establish a bolder visual design context for:", StringComparison.Ordinal));
        var second = Run("second");

        var rerun = WithDescendants(TaskGraph.Compile(PlanLoader.Load(_cli.FilePath("plan.yaml"))), Edited);
        Assert.True(rerun.Count > 1 && rerun.Count < first.Tasks.Count(t => t.Parent is null), "the edit must leave some tasks untouched");
        foreach (var row in second.Tasks.Where(t => t.Items is null))
        {
            var task = row.Parent ?? row.Id;
            if (rerun.Contains(task))
            {
                Assert.True(row.CacheHit is null, $"{row.Id} depends on the edited prompt but was a cache hit");
            }
            else
            {
                Assert.True(row.CacheHit == true, $"{row.Id} does not depend on the edited prompt but ran again");
            }
        }

        var untouched = second.Tasks.Where(t => t.Items is null && !rerun.Contains(t.Parent ?? t.Id)).ToList();
        Assert.Equal(untouched.Count, second.CacheHits);
        Assert.Equal(untouched.Sum(t => t.CostSavedUsd ?? 0), second.CostSavedUsd);
        Assert.True(second.CostSavedUsd > 0);
        Assert.All(untouched, t => Assert.Null(t.CostUsd));
    }
}
