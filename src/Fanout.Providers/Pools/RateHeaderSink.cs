namespace Fanout.Providers.Pools;

/// <summary>
/// Where a key's client reports every HTTP response's status and headers (an HTTP handler in either SDK's stack); the
/// pool that owns the key listens. Headers are looked up by name, case-insensitively.
/// </summary>
public sealed class RateHeaderSink
{
    private Action<int, Func<string, string?>>? _listener;

    /// <summary>Reports one response.</summary>
    public void Report(int status, Func<string, string?> header) => _listener?.Invoke(status, header);

    internal void Listen(Action<int, Func<string, string?>> listener) => _listener = listener;
}
