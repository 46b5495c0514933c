using System.Collections.Immutable;
using Fanout.Footprints;
using Fanout.Time;
using Fanout.Tools;
using Microsoft.Extensions.AI;

namespace Fanout.Tests.Tools;

/// <summary>Calls that need several pools take all their slots at once or none, so overlapping sets cannot deadlock.</summary>
public sealed class PoolDeadlockTests
{
    private static readonly string[][] Sets = [["a", "b"], ["b", "c"], ["c", "a"], ["a", "b", "c"], ["c"], ["b", "a"]];

    [Fact]
    public void Many_calls_needing_overlapping_sets_of_pools_all_finish_under_a_fake_clock()
    {
        var clock = new VirtualClock();
        var held = new Dictionary<string, int>(StringComparer.Ordinal) { ["a"] = 0, ["b"] = 0, ["c"] = 0 };
        var sizes = ImmutableDictionary<string, int>.Empty.Add("a", 1).Add("b", 2).Add("c", 1);
        var overbooked = 0;
        var tools = new ToolSet();
        for (var s = 0; s < Sets.Length; s++)
        {
            var pools = Sets[s];
            tools = tools.Add(new ToolRegistration
            {
                Function = AIFunctionFactory.Create(async (int ms, CancellationToken ct) =>
                {
                    foreach (var p in pools)
                    {
                        overbooked += ++held[p] > sizes[p] ? 1 : 0;
                    }

                    await Task.Delay(TimeSpan.FromMilliseconds(ms), clock, ct);
                    foreach (var p in pools)
                    {
                        held[p]--;
                    }

                    return ms;
                }, $"tool{s}"),
                Footprint = _ => Footprint.None,
                Pools = [.. pools],
            });
        }

        var calls = Enumerable.Range(0, 200).Select(i => new FunctionCallContent($"c{i}", $"tool{i % Sets.Length}",
            new Dictionary<string, object?> { ["ms"] = 1 + (i * 7 % 13) })).ToList();

        var batch = VirtualTime.Run(clock, () => ToolBatch.RunAsync(tools, calls, new ToolBatchOptions { Time = clock, Pools = sizes }));

        Assert.All(batch.Results, r => Assert.Equal(ToolCallStatus.Succeeded, r.Status));
        Assert.Equal(0, overbooked);
        // Pool 'a' (size 1) is in five of the six sets: its calls alone bound the makespan from below.
        var aWork = calls.Where((_, i) => Sets[i % Sets.Length].Contains("a")).Sum(c => (int)c.Arguments!["ms"]!);
        Assert.InRange(batch.Metrics.MakespanMs, aWork, batch.Metrics.SequentialMs);
    }
}
