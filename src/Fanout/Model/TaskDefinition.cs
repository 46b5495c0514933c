using System.Collections.Immutable;
using System.Text.Json;

namespace Fanout;

/// <summary>When a task may start relative to its dependencies.</summary>
public enum DependencyTrigger
{
    /// <summary>Only when every dependency succeeded (or is an optional task that failed). The default.</summary>
    Succeeded,

    /// <summary>When every dependency has settled, whatever its outcome; the task sees each one's status and error.</summary>
    Settled,
}

/// <summary>Dynamic fan-out: run one instance of the task per element of a JSON array known only at run time.</summary>
public sealed record ForeachSpec
{
    /// <summary>A path such as <c>tasks.plan.output.images</c> or <c>inputs.pages</c>, evaluated when the task becomes ready.</summary>
    public string? Path { get; init; }

    /// <summary>A literal array, used instead of <see cref="Path"/>.</summary>
    public JsonElement? Items { get; init; }

    /// <summary>The name templates use for the current element (besides <c>item</c>).</summary>
    public string As { get; init; } = "item";

    /// <summary>How many items may fail before the whole fan-out counts as failed. Default 0.</summary>
    public int MaxFailures { get; init; }
}

/// <summary>One node of a plan: what to run, what it needs and how it is retried. Immutable.</summary>
public sealed record TaskDefinition
{
    /// <summary>Unique id: letters, digits, <c>_</c> and <c>-</c>, starting with a letter or <c>_</c>.</summary>
    public required string Id { get; init; }

    /// <summary>What runs: the executor is chosen by <see cref="TaskBody.Kind"/>.</summary>
    public required TaskBody Body { get; init; }

    /// <summary>The kind name (<c>prompt</c>, <c>process</c>, <c>merge</c>, <c>delegate</c> or a custom one).</summary>
    public string Kind => Body.Kind;

    /// <summary>Ids of the tasks this one depends on.</summary>
    public ImmutableArray<string> Needs { get; init; } = [];

    /// <summary>A human description, shown in reports.</summary>
    public string? Description { get; init; }

    /// <summary>Named concurrency pool (declared in the plan's <c>pools</c>), or null for none.</summary>
    public string? Pool { get; init; }

    /// <summary>Retry policy; null takes the plan default.</summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>Per-attempt timeout; null takes the plan default (none if unset).</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>An optional task's failure does not fail the run nor skip its dependents.</summary>
    public bool Optional { get; init; }

    /// <summary>When the task may start relative to its dependencies.</summary>
    public DependencyTrigger After { get; init; } = DependencyTrigger.Succeeded;

    /// <summary>Dynamic fan-out, or null.</summary>
    public ForeachSpec? Foreach { get; init; }

    /// <summary>Whether the result may be reused from the result cache; null takes the plan's, else the per-kind
    /// default (see <see cref="CachePolicy"/>).</summary>
    public bool? Cache { get; init; }

    /// <summary>Declares a process task's result a function of its argv, stdin, env and input files only, which makes
    /// it cacheable by default.</summary>
    public bool Pure { get; init; }

    /// <summary>What the task reads and writes. Conflicting footprints order tasks in declaration order (inferred
    /// edges, see <see cref="TaskGraph.InferredEdges"/>); the rest may run at the same time.</summary>
    public Footprints.Footprint Footprint { get; init; } = Footprints.Footprint.None;

    /// <summary>Further pools (besides <see cref="Pool"/>) the task holds a slot of while it runs. All of them are
    /// taken at once or none is, so tasks needing overlapping sets of pools cannot deadlock.</summary>
    public ImmutableArray<string> ExtraPools { get; init; } = [];

    /// <summary>The id of the task that undoes this one when a run with <c>on_failure: rollback</c> fails. That task
    /// runs only then, after every task of the run has settled, in reverse order of completion.</summary>
    public string? Compensate { get; init; }

    /// <summary>Expected duration of one attempt, used for critical-path priority and <c>estimate</c>.</summary>
    public TimeSpan? Estimate { get; init; }

    /// <summary>Where each field was written (keys such as <c>id</c>, <c>needs[1]</c>, <c>prompt</c>), for error messages.</summary>
    public ImmutableDictionary<string, SourceLocation> Locations { get; init; } =
        ImmutableDictionary<string, SourceLocation>.Empty;

    /// <summary>The location of <paramref name="field"/>, else of the task itself.</summary>
    public SourceLocation? Locate(string field) =>
        Locations.TryGetValue(field, out var at) ? at : Locations.GetValueOrDefault("id");
}
