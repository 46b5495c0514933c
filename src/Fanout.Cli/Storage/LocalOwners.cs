using System.Diagnostics;
using Fanout.Storage;

namespace Fanout.Cli.Storage;

/// <summary>What this machine knows about run owners that a lease's expiry cannot tell sooner: whether an owner was
/// one of its own processes that no longer exists (it crashed or was killed).</summary>
internal static class LocalOwners
{
    /// <summary>True for a process of this machine (by host name) with no process of that id left; never for another
    /// machine's process, nor this process.</summary>
    public static bool IsGone(RunOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        if (!string.Equals(owner.Host, RunOwner.Current.Host, StringComparison.OrdinalIgnoreCase) || owner.ProcessId == RunOwner.Current.ProcessId)
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(owner.ProcessId);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            // No process has that id.
            return true;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}
