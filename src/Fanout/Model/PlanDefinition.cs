using System.Collections.Immutable;
using System.Text.Json;

namespace Fanout;

/// <summary>What happens to the rest of the run when a task fails.</summary>
public enum FailurePolicy
{
    /// <summary>Dependents of the failed task are skipped; independent branches go on. The default.</summary>
    Continue,

    /// <summary>The first failure cancels everything still running or waiting.</summary>
    FailFast,

    /// <summary>The first failure stops starting new tasks; attempts already running finish; then the compensation
    /// (<see cref="TaskDefinition.Compensate"/>) of every succeeded task runs, in reverse order of completion.</summary>
    Rollback,
}

/// <summary>A declared plan input: a JSON Schema, an optional default, a description.</summary>
public sealed record InputDefinition
{
    /// <summary>Input name, used as <c>inputs.NAME</c> in templates.</summary>
    public required string Name { get; init; }

    /// <summary>JSON Schema of the value (an empty object accepts anything).</summary>
    public JsonElement Schema { get; init; }

    /// <summary>The value used when none is given.</summary>
    public JsonElement? Default { get; init; }

    /// <summary>Shown by <c>fanout validate</c> and in help.</summary>
    public string? Description { get; init; }

    /// <summary>Where the input is declared.</summary>
    public SourceLocation? Location { get; init; }
}

/// <summary>A provider entry of the plan: a name, a type and its settings, interpreted by Fanout.Providers.</summary>
public sealed record ProviderDefinition
{
    /// <summary>Name tasks refer to.</summary>
    public required string Name { get; init; }

    /// <summary><c>simulated</c>, <c>openai</c>, <c>anthropic</c>…</summary>
    public required string Type { get; init; }

    /// <summary>The entry as written (keys, models, latency model…).</summary>
    public JsonElement Config { get; init; }

    /// <summary>Where the entry is declared.</summary>
    public SourceLocation? Location { get; init; }

    /// <summary>
    /// Where each value inside <see cref="Config"/> was written, keyed by dotted path (<c>type</c>,
    /// <c>models.gpt-4o-mini.latency</c>, <c>keys[0]</c>), so provider errors can point at the exact line.
    /// </summary>
    public ImmutableDictionary<string, SourceLocation> Locations { get; init; } =
        ImmutableDictionary<string, SourceLocation>.Empty;

    /// <summary>The location of <paramref name="path"/> inside the entry, else of the entry itself.</summary>
    public SourceLocation? Locate(string path) => Locations.TryGetValue(path, out var at) ? at : Location;
}

/// <summary>Values tasks inherit when they do not set them.</summary>
public sealed record PlanDefaults
{
    /// <summary>Default provider name for prompt tasks.</summary>
    public string? Provider { get; init; }

    /// <summary>Default model.</summary>
    public string? Model { get; init; }

    /// <summary>Default retry policy.</summary>
    public RetryPolicy Retry { get; init; } = RetryPolicy.Default;

    /// <summary>Default per-attempt timeout (null: none).</summary>
    public TimeSpan? Timeout { get; init; }
}

/// <summary>A whole plan: inputs, providers, pools and the task DAG. Immutable; compile it with <see cref="TaskGraph.Compile"/>.</summary>
public sealed record PlanDefinition
{
    /// <summary>Plan name, shown in reports.</summary>
    public required string Name { get; init; }

    /// <summary>What the plan does.</summary>
    public string? Description { get; init; }

    /// <summary>Declared inputs.</summary>
    public ImmutableArray<InputDefinition> Inputs { get; init; } = [];

    /// <summary>Defaults for tasks.</summary>
    public PlanDefaults Defaults { get; init; } = new();

    /// <summary>Provider entries.</summary>
    public ImmutableArray<ProviderDefinition> Providers { get; init; } = [];

    /// <summary>Named concurrency pools and their sizes.</summary>
    public ImmutableDictionary<string, int> Pools { get; init; } = ImmutableDictionary<string, int>.Empty;

    /// <summary>Global concurrency limit written in the plan (the CLI's <c>--concurrency</c> wins).</summary>
    public int? Concurrency { get; init; }

    /// <summary>Failure policy.</summary>
    public FailurePolicy OnFailure { get; init; } = FailurePolicy.Continue;

    /// <summary>Most the run may spend, in US dollars (<c>budget_usd</c>); null: no limit. The CLI's <c>--budget-usd</c> wins.</summary>
    public decimal? BudgetUsd { get; init; }

    /// <summary>Plan-wide result-cache switch (a task's own <c>cache:</c> wins); null keeps the per-kind defaults.</summary>
    public bool? Cache { get; init; }

    /// <summary>The HTTP endpoint <c>fanout serve</c> answers with this plan (<c>endpoint:</c>); null: none.</summary>
    public PlanEndpoint? Endpoint { get; init; }

    /// <summary>The tasks, in file order.</summary>
    public ImmutableArray<TaskDefinition> Tasks { get; init; } = [];

    /// <summary>Contracts between producer and consumer tasks, in file order.</summary>
    public ImmutableArray<ContractDefinition> Contracts { get; init; } = [];

    /// <summary>Agent workers the plan declares (in addition to, or replacing, <see cref="WorkerDefinition.BuiltIn"/>).</summary>
    public ImmutableArray<WorkerDefinition> Workers { get; init; } = [];

    /// <summary>The worker named <paramref name="name"/>: the plan's own, else a built-in preset; null if neither.</summary>
    public WorkerDefinition? Worker(string name) =>
        Workers.FirstOrDefault(w => w.Name == name) ?? WorkerDefinition.BuiltIn.FirstOrDefault(w => w.Name == name);

    /// <summary>The plan file, when loaded from one.</summary>
    public string? SourceFile { get; init; }

    /// <summary>Directory relative paths resolve against (the plan file's, else the current one).</summary>
    public string BaseDirectory { get; init; } = Environment.CurrentDirectory;
}
