namespace Fanout.Storage.Postgres.Distributed;

/// <summary>The executors (and whatever owns their resources: provider clients…) a worker runs one plan's tasks with.</summary>
/// <param name="Executors">Executors by kind.</param>
/// <param name="Resources">Disposed when the worker is done with the run; may be null.</param>
public sealed record RunServices(ExecutorRegistry Executors, IDisposable? Resources = null);

/// <summary>How a <see cref="DistributedWorker"/> works.</summary>
public sealed record WorkerOptions
{
    /// <summary>This worker's name in leases and attempts; unique per process by default.</summary>
    public string WorkerId { get; init; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>Most attempts this worker runs at once.</summary>
    public int Concurrency { get; init; } = 16;

    /// <summary>How long a claim holds without a heartbeat; heartbeats renew it every third of it. Measured by the
    /// database's clock, never the worker's.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most instances claimed in one transaction.</summary>
    public int ClaimBatch { get; init; } = 128;

    /// <summary>Most completions written in one transaction.</summary>
    public int CompletionBatch { get; init; } = 256;

    /// <summary>How often an idle worker looks for work when no notification arrives (retries whose backoff ended
    /// and expired leases notify nobody).</summary>
    public TimeSpan Poll { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Stop once no run is left unfinished and nothing is in flight.</summary>
    public bool ExitWhenIdle { get; init; }

    /// <summary>Work on this run only (the submitting <c>fanout run</c> works on its own run).</summary>
    public string? RunId { get; init; }

    /// <summary>Executors for a run's plan. Called once per run this worker works on.</summary>
    public required Func<TaskGraph, RunServices> Services { get; init; }

    /// <summary>Directory for a run's task outputs (artifacts), by run id.</summary>
    public required Func<string, string> OutputDirectory { get; init; }

    /// <summary>Receives one line per notable thing the worker does (claims lost to expiry, runs finished).</summary>
    public Action<string>? Log { get; init; }
}
