namespace Fanout.Storage;

/// <summary>
/// Holds a taken run lease for as long as the run is driven: renews it every third of its length on the run's clock
/// and releases it when disposed, so the next owner need not wait for it to expire. When a renewal finds that another
/// owner has taken the run (this process was stalled past the lease, say), <see cref="Lost"/> is cancelled and the
/// scheduler stops the run; its writes were fenced by the epoch all along, so none of them lands after the take-over.
/// </summary>
public sealed class RunOwnership : IAsyncDisposable
{
    private readonly IRunStore _store;
    private readonly TimeSpan _duration;
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _lost = new();
    private readonly Lock _gate = new();
    private Task _renewal = Task.CompletedTask;
    private bool _disposed;

    /// <summary>Keeps <paramref name="lease"/>, which the caller has just taken from <paramref name="store"/>.</summary>
    /// <param name="store">The store the lease is in.</param>
    /// <param name="lease">A lease taken with <see cref="TryTakeAsync"/> (or <see cref="IRunStore.TryTakeLeaseAsync"/>).</param>
    /// <param name="time">The run's clock, which times the renewals.</param>
    public RunOwnership(IRunStore store, RunLease lease, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        Lease = lease;
        _duration = lease.ExpiresAt - lease.Since;
        var period = _duration / 3 > TimeSpan.Zero ? _duration / 3 : TimeSpan.FromMilliseconds(1);
        _timer = time.CreateTimer(_ => Renew(), null, period, period);
    }

    /// <summary>The lease as last renewed (its epoch never changes).</summary>
    public RunLease Lease { get; private set; }

    /// <summary>Cancelled when a renewal finds that another owner took the run.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>The lease that replaced this one, once <see cref="Lost"/> is cancelled (null if it could not be read).</summary>
    public RunLease? Successor { get; private set; }

    /// <summary>Takes run <paramref name="runId"/>'s lease for <paramref name="owner"/> (this process by default) if it is
    /// free, or if its holder is one <paramref name="isGone"/> knows to be gone — a process of this machine that no
    /// longer exists, a silo the cluster declared dead — so that such a run is taken over at once instead of when its
    /// lease expires. The take is still conditional on that holder's epoch, so of two takers doing this at once only
    /// one gets it.</summary>
    public static async Task<LeaseClaim> TryTakeAsync(IRunStore store, string runId, RunOwner? owner = null, Func<RunOwner, bool>? isGone = null,
        TimeSpan? duration = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        owner ??= RunOwner.Current;
        var length = duration ?? RunLease.DefaultDuration;
        var claim = await store.TryTakeLeaseAsync(runId, owner, length, null, cancellationToken);
        if (!claim.Taken && isGone?.Invoke(claim.Lease.Owner) == true)
        {
            claim = await store.TryTakeLeaseAsync(runId, owner, length, claim.Lease.Epoch, cancellationToken);
        }

        return claim;
    }

    /// <summary>Stops renewing and releases the lease unless it was lost.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        await _timer.DisposeAsync();
        // A renewal finishing after the release would hold the run for another lease length.
        await _renewal;
        if (!_lost.IsCancellationRequested)
        {
            try
            {
                await _store.ReleaseLeaseAsync(Lease, CancellationToken.None);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The lease then simply expires: nobody is worse off than after a crash.
            }
        }
    }

    private void Renew()
    {
        lock (_gate)
        {
            if (!_disposed && _renewal.IsCompleted && !_lost.IsCancellationRequested)
            {
                _renewal = RenewAsync();
            }
        }
    }

    private async Task RenewAsync()
    {
        try
        {
            if (await _store.RenewLeaseAsync(Lease, _duration, CancellationToken.None) is { } renewed)
            {
                Lease = renewed;
                return;
            }

            Successor = await _store.GetLeaseAsync(Lease.RunId, CancellationToken.None);
            await _lost.CancelAsync();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Tried again at the next tick. Meanwhile nothing unsafe can happen: writes are fenced by the epoch, and a
            // store that cannot be reached for a whole lease length lets another owner take the run, which the next
            // renewal or write then reports.
        }
    }
}
