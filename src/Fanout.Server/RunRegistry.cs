using System.Collections.Concurrent;
using System.Text.Json;

namespace Fanout.Server;

/// <summary>One run the server started: its handle (events, cancel, report) and who owns it.</summary>
internal sealed class ServerRun
{
    public ServerRun(RunHandle handle, ServerPlan plan, string owner, DateTimeOffset createdAt)
    {
        Handle = handle;
        Plan = plan;
        Owner = owner;
        CreatedAt = createdAt;
    }

    public RunHandle Handle { get; }

    public ServerPlan Plan { get; }

    public string Owner { get; }

    public DateTimeOffset CreatedAt { get; }

    public string Id => Handle.RunId;

    /// <summary>The report once the run has ended well enough to have one.</summary>
    public RunReport? Report => Handle.Completion.IsCompletedSuccessfully ? Handle.Completion.Result : null;

    /// <summary>The run's status word: its report's once it has ended, else the running state's.</summary>
    public string Status => Report is { } report ? report.Status.ToWire()
        : Handle.Completion.IsFaulted ? RunStatus.Failed.ToWire()
        : TaskState.Running.ToWire();

    /// <summary>Each task instance's latest state, from the run's own event stream: a replay of everything published
    /// so far, so whatever a client has seen over SSE is here too (no second follower to lag behind).</summary>
    public IReadOnlyDictionary<string, TaskState> Tasks
    {
        get
        {
            using var replay = Handle.Subscribe();
            var tasks = new SortedDictionary<string, TaskState>(StringComparer.Ordinal);
            while (replay.Reader.TryRead(out var e))
            {
                if (e is TaskStateChanged changed)
                {
                    tasks[changed.TaskId] = changed.State;
                }
            }

            return tasks;
        }
    }

    /// <summary>The tasks now in <paramref name="state"/>, for a 504's "what finished".</summary>
    public IEnumerable<string> InState(TaskState state) => Tasks.Where(t => t.Value == state).Select(t => t.Key);
}

/// <summary>The runs this server started, with idempotency keys; runs start through the <see cref="IRunHost"/>.</summary>
internal sealed class RunRegistry(IRunHost host, FanoutServerOptions options)
{
    private readonly ConcurrentDictionary<string, ServerRun> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Owner, string Key), (string Fingerprint, Task<ServerRun> Run)> _idempotent = new();

    /// <summary>Raised once a run has started and can be found (tests learn an endpoint's run id before it answers).</summary>
    public event Action<ServerRun>? Started;

    public ServerRun? Find(string id) => _runs.GetValueOrDefault(id);

    public IEnumerable<ServerRun> All => _runs.Values;

    /// <summary>Starts a run, or — for a key this owner used before with the same request — returns that run.
    /// The fingerprint identifies the request; the same key with another request is a conflict.</summary>
    public async Task<(ServerRun Run, bool Repeated)> StartAsync(
        ServerPlan plan, JsonElement inputs, Caller caller, (string Key, string Fingerprint)? idempotency, CancellationToken cancellationToken)
    {
        if (idempotency is not { } idem)
        {
            return (await StartNewAsync(plan, inputs, caller, cancellationToken), false);
        }

        var fresh = new Lazy<Task<ServerRun>>(() => StartNewAsync(plan, inputs, caller, CancellationToken.None));
        var entry = _idempotent.GetOrAdd((caller.Name, idem.Key), _ => (idem.Fingerprint, fresh.Value));
        if (entry.Fingerprint != idem.Fingerprint)
        {
            throw new IdempotencyConflictException();
        }

        try
        {
            return (await entry.Run, !fresh.IsValueCreated);
        }
        catch
        {
            // A request that failed to start may be tried again under the same key.
            _idempotent.TryRemove(new((caller.Name, idem.Key), entry));
            throw;
        }
    }

    private async Task<ServerRun> StartNewAsync(ServerPlan plan, JsonElement inputs, Caller caller, CancellationToken cancellationToken)
    {
        var runId = RunOptions.NewRunId(options.Time);
        var prepared = await options.Prepare(plan, inputs, runId, cancellationToken);
        RunHandle handle;
        try
        {
            handle = await host.StartAsync(prepared.Request, cancellationToken);
        }
        catch
        {
            if (prepared.Resources is { } resources)
            {
                await resources.DisposeAsync();
            }

            throw;
        }

        var run = new ServerRun(handle, plan, caller.Name, options.Time.GetUtcNow());
        _runs[run.Id] = run;
        Started?.Invoke(run);
        _ = ReleaseWhenDoneAsync(run, prepared.Resources);
        return run;
    }

    private static async Task ReleaseWhenDoneAsync(ServerRun run, IAsyncDisposable? resources)
    {
        try
        {
            await run.Handle.Completion;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A run that could not go on is reported by its status; nothing here can do more.
        }
        finally
        {
            if (resources is not null)
            {
                await resources.DisposeAsync();
            }
        }
    }
}

/// <summary>An <c>Idempotency-Key</c> reused with a different request.</summary>
internal sealed class IdempotencyConflictException : Exception
{
    public IdempotencyConflictException()
        : base("this Idempotency-Key was used with a different request")
    {
    }
}
