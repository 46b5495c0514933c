using System.CommandLine;
using Fanout.Cli.Storage;
using Fanout.Storage;

namespace Fanout.Cli.Commands;

/// <summary>
/// Taking a run's owner lease before driving it (<c>run</c>, <c>run --resume</c>, <c>resume</c>): when another process
/// drives the run, say who and exit 2, or with <c>--wait</c> say so once and wait until the lease is free.
/// </summary>
internal static class OwnerStep
{
    /// <summary>How often <c>--wait</c> tries again (a released lease is free at once; a crashed owner's when it expires).</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    public static Option<bool> WaitOption() => new("--wait")
    {
        Description = "If another process is driving the run, wait until it is done instead of exiting (exit 2)",
    };

    /// <summary>This process's ownership of <paramref name="runId"/>, or null (after saying who owns it) when another
    /// process does and <paramref name="wait"/> is false.</summary>
    public static async Task<RunOwnership?> TakeAsync(CliEnvironment env, IRunStore store, string runId, bool wait, CancellationToken cancellationToken)
    {
        long? announced = null;
        while (true)
        {
            var claim = await RunOwnership.TryTakeAsync(store, runId, isGone: LocalOwners.IsGone, cancellationToken: cancellationToken);
            if (claim.Taken)
            {
                return new RunOwnership(store, claim.Lease, env.Time);
            }

            if (!wait)
            {
                await env.Error.WriteLineAsync($"error: run {runId} is being driven by {claim.Lease.Describe()}; wait for it with --wait");
                return null;
            }

            if (announced != claim.Lease.Epoch)
            {
                await env.Error.WriteLineAsync($"waiting for run {runId}: it is being driven by {claim.Lease.Describe()}");
                announced = claim.Lease.Epoch;
            }

            await Task.Delay(Poll, env.Time, cancellationToken);
        }
    }

    /// <summary>Says that the run was taken over while this process drove it; exit 2 like any refused owner.</summary>
    public static int Lost(CliEnvironment env, RunOwnershipLostException lost)
    {
        env.Error.WriteLine($"error: {lost.Message}; stopped without writing more (see fanout show {lost.Lost.RunId})");
        return ExitCodes.Invalid;
    }
}
