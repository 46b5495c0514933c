using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Fanout.Tools.Analysis;

/// <summary>One batch: calls that could have been issued together, and why the batch could not take the next call.</summary>
/// <param name="Calls">Indexes of its calls, in order.</param>
/// <param name="DurationMs">Its longest call: how long the batch would take run in parallel.</param>
/// <param name="EndedBy">Why the next call starts a new batch (the conflict with a call of this one); null for the last.</param>
public sealed record TraceBatch(ImmutableArray<int> Calls, double DurationMs, string? EndedBy);

/// <summary>
/// Where the parallelism was in a recorded sequence of tool calls. <b>Batches</b>: going through the calls in order,
/// a call joins the current batch unless its footprint conflicts with a call already in it (then it starts the next)
/// — what a person grouping consecutive independent calls would do, and what an agent could have issued as one turn
/// of parallel calls. Projected time: the sum of each batch's longest call, against the recorded sum. The
/// <b>critical path</b> is the longest chain of conflicting calls by duration: the bound if calls could also be
/// reordered, which the model's own reasoning between calls may not allow. Durations are the tools' own; the model's
/// time between calls is not counted.
/// </summary>
public sealed record TraceAnalysis
{
    /// <summary>The calls, with their footprints.</summary>
    public ImmutableArray<RecordedCall> Calls { get; init; } = [];

    /// <summary>The batches, in order.</summary>
    public ImmutableArray<TraceBatch> Batches { get; init; } = [];

    /// <summary>Sum of the calls' durations, as recorded (one after another).</summary>
    public double SequentialMs { get; init; }

    /// <summary>Sum of the batches' durations: the projected time with parallel calls.</summary>
    public double BatchedMs { get; init; }

    /// <summary>sequential − batched.</summary>
    public double SavedMs => SequentialMs - BatchedMs;

    /// <summary>saved / sequential (0 for an empty trace).</summary>
    public double SavedFraction => SequentialMs > 0 ? SavedMs / SequentialMs : 0;

    /// <summary>The longest chain of conflicting calls by duration (indexes).</summary>
    public ImmutableArray<int> CriticalPath { get; init; } = [];

    /// <summary>Its length.</summary>
    public double CriticalPathMs { get; init; }

    /// <summary>Calls whose tool is unknown or may do anything: each conflicts with every other call.</summary>
    [JsonIgnore]
    public IEnumerable<RecordedCall> Unknown => Calls.Where(c => c.Unknown);

    /// <summary>Analyses <paramref name="calls"/> (in the order they were made).</summary>
    public static TraceAnalysis Of(IReadOnlyList<RecordedCall> calls)
    {
        ArgumentNullException.ThrowIfNull(calls);
        var batches = new List<TraceBatch>();
        var current = new List<int>();
        for (var i = 0; i < calls.Count; i++)
        {
            var conflict = current.Select(j => (j, c: calls[j].Footprint.ConflictWith(calls[i].Footprint))).FirstOrDefault(x => x.c is not null);
            if (conflict.c is { } found)
            {
                batches.Add(Batch(calls, current, found.Describe(calls[conflict.j].Summary, calls[i].Summary)));
                current = [];
            }

            current.Add(i);
        }

        if (current.Count > 0)
        {
            batches.Add(Batch(calls, current, null));
        }

        var (path, pathMs) = LongestChain(calls);
        return new TraceAnalysis
        {
            Calls = [.. calls],
            Batches = [.. batches],
            SequentialMs = calls.Sum(c => c.DurationMs),
            BatchedMs = batches.Sum(b => b.DurationMs),
            CriticalPath = path,
            CriticalPathMs = pathMs,
        };
    }

    private static TraceBatch Batch(IReadOnlyList<RecordedCall> calls, List<int> members, string? endedBy) =>
        new([.. members], members.Max(m => calls[m].DurationMs), endedBy);

    /// <summary>Earliest finish of each call when it waits only for the earlier calls it conflicts with.</summary>
    private static (ImmutableArray<int>, double) LongestChain(IReadOnlyList<RecordedCall> calls)
    {
        if (calls.Count == 0)
        {
            return ([], 0);
        }

        var finish = new double[calls.Count];
        var previous = new int[calls.Count];
        for (var i = 0; i < calls.Count; i++)
        {
            previous[i] = -1;
            for (var j = 0; j < i; j++)
            {
                if (finish[j] > (previous[i] < 0 ? 0 : finish[previous[i]]) && calls[j].Footprint.ConflictWith(calls[i].Footprint) is not null)
                {
                    previous[i] = j;
                }
            }

            finish[i] = (previous[i] < 0 ? 0 : finish[previous[i]]) + calls[i].DurationMs;
        }

        var end = Array.IndexOf(finish, finish.Max());
        var path = new List<int>();
        for (var at = end; at >= 0; at = previous[at])
        {
            path.Add(at);
        }

        path.Reverse();
        return ([.. path], finish[end]);
    }
}
