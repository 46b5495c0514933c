using System.Text.Json;

namespace Fanout.Storage.Postgres.Distributed;

/// <summary>A run to hand to the workers: the compiled plan plus the snapshot workers rebuild it from.</summary>
public sealed record Submission
{
    /// <summary>Run id.</summary>
    public required string RunId { get; init; }

    /// <summary>The plan, compiled (checked before anything is written).</summary>
    public required TaskGraph Graph { get; init; }

    /// <summary>The plan file's text: workers parse it again, so they need not have the file.</summary>
    public required string PlanText { get; init; }

    /// <summary>The plan file's path as given (labels locations; its extension picks YAML or JSON).</summary>
    public required string PlanPath { get; init; }

    /// <summary>Where the plan's relative paths resolve (prompt files, process working directories).</summary>
    public required string BaseDirectory { get; init; }

    /// <summary>Resolved inputs.</summary>
    public JsonElement Inputs { get; init; }

    /// <summary>Run-wide concurrency across all workers; null takes the plan's, else the default.</summary>
    public int? Concurrency { get; init; }

    /// <summary>Cancel what has not started at the first failure (else the plan's policy).</summary>
    public bool FailFast { get; init; }

    /// <summary>Seed for retry jitter.</summary>
    public int? Seed { get; init; }
}
