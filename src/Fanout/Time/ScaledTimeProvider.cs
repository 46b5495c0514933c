using System.Diagnostics;

namespace Fanout.Time;

/// <summary>
/// The system clock running <see cref="Factor"/> times faster. For a real HTTP server and its clients that must share
/// one clock (the simulator's rate-limit windows, Retry-After, back-off and timeouts all shrink by the same factor) —
/// a <see cref="VirtualClock"/> cannot drive real sockets, since it would jump ahead while a request is on the wire.
/// Used by tests and benchmarks.
/// </summary>
/// <param name="factor">How many times faster than real time; greater than 0.</param>
public sealed class ScaledTimeProvider(double factor) : TimeProvider
{
    private readonly DateTimeOffset _origin = System.GetUtcNow();
    private readonly long _start = Stopwatch.GetTimestamp();

    /// <summary>How many times faster than real time this clock runs.</summary>
    public double Factor { get; } = factor > 0 ? factor : throw new ArgumentOutOfRangeException(nameof(factor), factor, "must be greater than 0");

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => _origin + Stopwatch.GetElapsedTime(_start) * Factor;

    /// <inheritdoc />
    public override long GetTimestamp() => _start + (long)((Stopwatch.GetTimestamp() - _start) * Factor);

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new Scaled(System.CreateTimer(callback, state, Scale(dueTime), Scale(period)), this);

    private TimeSpan Scale(TimeSpan span) => span == Timeout.InfiniteTimeSpan || span <= TimeSpan.Zero ? span : span / Factor;

    private sealed class Scaled(ITimer inner, ScaledTimeProvider clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.Scale(dueTime), clock.Scale(period));

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
