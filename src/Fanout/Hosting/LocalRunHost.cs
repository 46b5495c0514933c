using System.Collections.Concurrent;
using Fanout.Storage;

namespace Fanout;

/// <summary>Runs plans in this process with the <see cref="Scheduler"/>: what the CLI uses, and what a server embeds.</summary>
public sealed class LocalRunHost : IRunHost
{
    private readonly ConcurrentDictionary<string, RunHandle> _running = new(StringComparer.Ordinal);

    /// <inheritdoc/>
    public Task<RunHandle> StartAsync(RunRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Task.FromResult(Start(request, request.Options with { Resume = null }, lastSequence: 0));
    }

    /// <inheritdoc/>
    public async Task<RunHandle> ResumeAsync(RunRequest request, RunJournal journal, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(journal);
        // Every event the run published was journaled first, numbered from 1 without gaps: the count is the last number.
        var journaled = request.Options.Store is { } store ? (await store.ReadEventsAsync(journal.Run.RunId, cancellationToken)).Count : 0;
        return Start(request, request.Options with { Resume = journal, RunId = journal.Run.RunId }, journaled);
    }

    /// <inheritdoc/>
    public RunHandle? Find(string runId) => _running.GetValueOrDefault(runId);

    private RunHandle Start(RunRequest request, RunOptions options, long lastSequence)
    {
        var events = new RunEventStream(lastSequence);
        var scheduler = new Scheduler(request.Graph, options with { Events = events });
        var cancel = new CancellationTokenSource();
        var completion = RunAsync(scheduler, cancel);
        var handle = new RunHandle(scheduler.RunId, events, cancel, completion);
        if (!completion.IsCompleted)
        {
            _running[handle.RunId] = handle;
            // Forget the run when it ends, whichever way.
            _ = completion.ContinueWith(_ => _running.TryRemove(handle.RunId, out var _), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return handle;
    }

    private static async Task<RunReport> RunAsync(Scheduler scheduler, CancellationTokenSource cancel)
    {
        using (cancel)
        {
            return await scheduler.RunAsync(cancel.Token);
        }
    }
}
