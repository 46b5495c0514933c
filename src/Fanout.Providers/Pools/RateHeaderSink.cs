namespace Fanout.Providers.Pools;

/// <summary>
/// Where a key's client reports every HTTP response's status and headers (an HTTP handler in either SDK's stack); the
/// pool that owns the key listens. Headers are looked up by name, case-insensitively.
/// </summary>
public sealed class RateHeaderSink
{
    private Action<int, Func<string, string?>, DateTimeOffset>? _listener;
    private TimeProvider _time = TimeProvider.System;

    /// <summary>The listener's clock: what a handler stamps a request's send time with.</summary>
    public DateTimeOffset Now() => _time.GetUtcNow();

    /// <summary>Reports one response to the request sent at <paramref name="sentAt"/> (its headers describe the
    /// provider's limits as of then).</summary>
    public void Report(int status, Func<string, string?> header, DateTimeOffset sentAt) => _listener?.Invoke(status, header, sentAt);

    internal void Listen(Action<int, Func<string, string?>, DateTimeOffset> listener, TimeProvider time) => (_listener, _time) = (listener, time);
}
