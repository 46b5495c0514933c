namespace Fanout.Storage;

/// <summary>Who drives a run: a process on a machine. Recorded with its lease so that anyone else who tries to drive
/// the run can be told who does.</summary>
/// <param name="Host">The machine's name.</param>
/// <param name="ProcessId">The process id on that machine.</param>
public sealed record RunOwner(string Host, int ProcessId)
{
    /// <summary>This process.</summary>
    public static RunOwner Current { get; } = new(Environment.MachineName, Environment.ProcessId);

    /// <inheritdoc />
    public override string ToString() => $"{Host} (pid {ProcessId})";
}

/// <summary>
/// A run's owner lease as the store holds it. At most one lease of a run is in force at a time; taking one increments
/// the run's <see cref="Epoch"/>, a fencing token: every journal batch carries the epoch it was written under (see
/// <see cref="JournalBatch.Lease"/>) and a store applies it only while that epoch is still the run's, so an owner that
/// was superseded can never write again. See docs/durability.md, "Run ownership".
/// </summary>
public sealed record RunLease
{
    /// <summary>How long a lease lasts unless renewed; <see cref="RunOwnership"/> renews it every third of that, so a
    /// crashed owner's run can be taken over at most this long after the crash (at once by a host that knows the owner
    /// is gone).</summary>
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(30);

    /// <summary>The run.</summary>
    public required string RunId { get; init; }

    /// <summary>The fencing token: 1 for the run's first owner, one more for each owner after.</summary>
    public long Epoch { get; init; }

    /// <summary>Who holds (or last held) it.</summary>
    public required RunOwner Owner { get; init; }

    /// <summary>When it was taken, by the store's clock.</summary>
    public DateTimeOffset Since { get; init; }

    /// <summary>When it ends unless renewed, by the store's clock; a released lease ends when it was released.</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Whether it was in force when the store returned it.</summary>
    public bool Held { get; init; }

    /// <summary>The owner and since when, for messages: <c>host (pid 123) since 2026-12-02 01:15:00 UTC</c>.</summary>
    public string Describe() => $"{Owner} since {Since.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC";
}

/// <summary>The answer to <see cref="IRunStore.TryTakeLeaseAsync"/>.</summary>
/// <param name="Taken">Whether the caller now holds the lease.</param>
/// <param name="Lease">The caller's new lease when taken; otherwise the lease in force, naming who holds it.</param>
public sealed record LeaseClaim(bool Taken, RunLease Lease);

/// <summary>A journal write under an epoch that is no longer the run's: another owner has taken the run. Nothing of
/// the batch was written.</summary>
public sealed class RunOwnershipLostException : Exception
{
    /// <summary>Creates the exception for the lease that was lost and, when known, the one that replaced it.</summary>
    public RunOwnershipLostException(RunLease lost, RunLease? current)
        : base(MessageFor(lost, current))
    {
        ArgumentNullException.ThrowIfNull(lost);
        Lost = lost;
        Current = current;
    }

    /// <summary>The lease the write was made under.</summary>
    public RunLease Lost { get; }

    /// <summary>The run's lease now, when known.</summary>
    public RunLease? Current { get; }

    private static string MessageFor(RunLease lost, RunLease? current)
    {
        ArgumentNullException.ThrowIfNull(lost);
        var now = current is null || current.Epoch == lost.Epoch ? "" : $"; it is now driven by {current.Describe()}";
        return $"lost ownership of run {lost.RunId} (epoch {lost.Epoch}){now}";
    }
}
