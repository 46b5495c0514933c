namespace Fanout.Cli.Output;

/// <summary>How <c>run</c> watches a run: one subscription to its events feeds the live view (or the plain log) and the
/// test hook, on its own task, so neither a slow terminal nor a slow hook ever holds the scheduler up.</summary>
internal static class RunFollower
{
    /// <summary>Unread events the live view keeps: it redraws from counters, so when the terminal falls this far behind
    /// it skips the oldest rather than stall (the report still has everything).</summary>
    private const int LiveCapacity = 4096;

    /// <summary>Shows <paramref name="handle"/>'s progress until it ends; returns its report.</summary>
    public static async Task<RunReport> FollowAsync(CliEnvironment env, HumanOutput human, RunHandle handle, bool live)
    {
        var progress = new RunProgress();
        var log = live ? null : new PlainLog(human.Writer);
        // The plain log is a record a script may read, so it loses nothing; the live view is a view.
        using var events = handle.Subscribe(capacity: live ? LiveCapacity : null);
        var reading = ReadAsync(events, progress, log, env.OnEvent);
        try
        {
            var report = live
                ? await new LiveView(human.Console, progress, env.Time).WhileRunning(() => handle.Completion)
                : await handle.Completion;
            if (events.Dropped > 0)
            {
                human.Writer.WriteLine($"(the live view skipped {events.Dropped} events while the terminal was behind)");
            }

            return report;
        }
        finally
        {
            // The stream completes when the run ends, however it ends: this returns once every line is out.
            await reading;
        }
    }

    private static async Task ReadAsync(RunEventSubscription events, RunProgress progress, PlainLog? log, Action<RunEvent>? hook)
    {
        await foreach (var e in events.ReadAllAsync())
        {
            progress.Observe(e);
            hook?.Invoke(e);
            if (log is not null)
            {
                await log.WriteAsync(e);
            }
        }

        if (log is not null)
        {
            await log.FlushAsync();
        }
    }
}
