using System.Collections.Concurrent;

namespace Fanout.Time;

/// <summary>
/// Runs async code against a <see cref="VirtualClock"/> deterministically: continuations are pumped on one
/// thread, and whenever nothing is left to run the clock jumps to the next timer. A run of minutes of simulated
/// latency takes milliseconds, and every timing is exact. Used by <c>fanout estimate</c> and by the tests.
/// Code under it must not hop to the thread pool (no <c>ConfigureAwait(false)</c> on paths that wait on the clock).
/// </summary>
public static class VirtualTime
{
    /// <summary>Runs <paramref name="body"/> to completion, advancing <paramref name="clock"/> whenever the run is idle.</summary>
    /// <param name="clock">The clock the code under test uses.</param>
    /// <param name="body">The work.</param>
    /// <param name="stallTimeout">Real time to wait for outside work (real I/O) before declaring the run stuck.</param>
    public static T Run<T>(VirtualClock clock, Func<Task<T>> body, TimeSpan? stallTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(body);
        var previous = SynchronizationContext.Current;
        var pump = new PumpContext();
        SynchronizationContext.SetSynchronizationContext(pump);
        try
        {
            var task = body();
            while (!task.IsCompleted)
            {
                if (pump.RunOne() || clock.AdvanceToNextTimer())
                {
                    continue;
                }

                if (!pump.WaitForWork(stallTimeout ?? TimeSpan.FromSeconds(30)) && !task.IsCompleted)
                {
                    throw new InvalidOperationException("virtual-time run is stuck: no work queued and no timer scheduled");
                }
            }

            while (pump.RunOne())
            {
            }

            return task.GetAwaiter().GetResult();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    /// <summary>Runs <paramref name="body"/> to completion in virtual time.</summary>
    public static void Run(VirtualClock clock, Func<Task> body, TimeSpan? stallTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        Run(clock, async () =>
        {
            await body();
            return true;
        }, stallTimeout);
    }

    private sealed class PumpContext : SynchronizationContext
    {
        private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];

        public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

        public override void Send(SendOrPostCallback d, object? state) => throw new NotSupportedException("Send is not supported in virtual time");

        public override SynchronizationContext CreateCopy() => this;

        public bool RunOne()
        {
            if (!_queue.TryTake(out var work))
            {
                return false;
            }

            work.Callback(work.State);
            return true;
        }

        public bool WaitForWork(TimeSpan timeout)
        {
            if (!_queue.TryTake(out var work, timeout))
            {
                return false;
            }

            work.Callback(work.State);
            return true;
        }
    }
}
