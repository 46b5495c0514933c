using Fanout.Storage;

namespace Fanout;

/// <summary>What to run: a compiled plan and how to run it. A host may ignore or replace options it owns (the event
/// stream, the resume journal).</summary>
/// <param name="Graph">The compiled plan.</param>
/// <param name="Options">Run id, inputs, limits, clock, executors, store…</param>
public sealed record RunRequest(TaskGraph Graph, RunOptions Options);

/// <summary>
/// Something that drives runs and lets others watch them: the CLI's in-process <see cref="LocalRunHost"/> today, an
/// HTTP server or a cluster host tomorrow. Every run it starts is a <see cref="RunHandle"/>: an id, its events from any
/// sequence number on, a way to cancel it, and its report when it ends.
/// </summary>
public interface IRunHost
{
    /// <summary>Starts a new run. Its events can be read from the first one, however soon the caller subscribes.</summary>
    Task<RunHandle> StartAsync(RunRequest request, CancellationToken cancellationToken = default);

    /// <summary>Continues the interrupted run <paramref name="journal"/> describes (read by the caller under the run's
    /// lease): its run id is reused, succeeded work is restored, and event numbering continues after the journal's.</summary>
    Task<RunHandle> ResumeAsync(RunRequest request, RunJournal journal, CancellationToken cancellationToken = default);

    /// <summary>The run with id <paramref name="runId"/> this host is driving now, or null.</summary>
    RunHandle? Find(string runId);
}
