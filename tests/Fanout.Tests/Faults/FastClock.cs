using System.Diagnostics;

namespace Fanout.Tests.Faults;

/// <summary>
/// The system clock running <see cref="Factor"/> times faster, for tests where a real HTTP server and the scheduler
/// must share one clock: a one-minute rate-limit window passes in a fraction of a second, and Retry-After, back-off and
/// timeouts all shrink by the same factor. (A manual clock cannot drive real sockets: nothing would advance it while
/// a request is on the wire.)
/// </summary>
internal sealed class FastClock(double factor) : TimeProvider
{
    private readonly DateTimeOffset _origin = System.GetUtcNow();
    private readonly long _start = Stopwatch.GetTimestamp();

    public double Factor { get; } = factor;

    public override DateTimeOffset GetUtcNow() => _origin + Stopwatch.GetElapsedTime(_start) * Factor;

    public override long GetTimestamp() => _start + (long)((Stopwatch.GetTimestamp() - _start) * Factor);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new Scaled(System.CreateTimer(callback, state, Scale(dueTime), Scale(period)), this);

    private TimeSpan Scale(TimeSpan span) => span == Timeout.InfiniteTimeSpan || span <= TimeSpan.Zero ? span : span / Factor;

    private sealed class Scaled(ITimer inner, FastClock clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.Scale(dueTime), clock.Scale(period));

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
