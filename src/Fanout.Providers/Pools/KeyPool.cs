using Microsoft.Extensions.AI;

namespace Fanout.Providers.Pools;

/// <summary>
/// An <see cref="IChatClient"/> over several keys of one provider (a single key is a pool of one). Each request
/// reserves its estimated tokens on a key chosen by the routing mode, waits in a queue when no key can take it
/// (any request that fits goes first; one that has waited <see cref="PoolOptions.Patience"/> reserves ahead), and
/// is reconciled with the usage reported. A 429 cools down only its key and sends the request to another; a 401
/// disables the key; a run of failures opens the key's circuit breaker. Waits use the injected clock. Whole responses
/// only: admission settles on the reported usage, and a retried stream could not be unsent.
/// </summary>
public sealed partial class KeyPool : WholeResponseChatClient
{
    private readonly Lock _gate = new();
    private readonly KeyState[] _keys;
    private readonly PoolOptions _options;
    private readonly TimeProvider _time;
    private readonly LinkedList<Waiter> _queue = new();
    private readonly ITimer _timer;
    private readonly double[] _weights;
    private DateTimeOffset? _timerDue;
    private string? _lastRejection;
    private int _holding;
    private int _nextInTurn;
    private long _measured;
    private double _inputAbsoluteError;
    private double _inputSignedError;
    private double _inputActual;
    private double _reserved;
    private double _used;

    /// <summary>A pool named <paramref name="provider"/> over <paramref name="keys"/>.</summary>
    public KeyPool(string provider, IReadOnlyList<PoolKey> keys, PoolOptions options)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfZero(keys.Count);
        Provider = provider;
        _options = options;
        _time = options.Time;
        var now = _time.GetUtcNow();
        _keys = [.. keys.Select((k, i) => new KeyState(k, i, options, now))];
        _weights = new double[_keys.Length];
        foreach (var key in _keys)
        {
            key.Key.Headers.Listen((status, header, sentAt) => Observe(key, status, header, sentAt), _time);
        }

        _timer = _time.CreateTimer(_ => OnTimer(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The provider's name.</summary>
    public string Provider { get; }

    /// <summary>The keys' declared limits, for the run's report and default concurrency.</summary>
    public ProviderLimits Limits => new(Provider, [.. _keys.Select(k => k.Key.Limits)], _options.Adaptive ? KeyState.AdaptiveCeiling : null);

    /// <summary>The key aliases, in plan order.</summary>
    public IReadOnlyList<string> Aliases => [.. _keys.Select(k => k.Alias)];

    /// <summary>Requests waiting for a key now, or holding a reservation until their send time.</summary>
    internal int Waiting
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count + _holding;
            }
        }
    }

    /// <summary>Counters per key and the estimator's error so far.</summary>
    public PoolStats Stats
    {
        get
        {
            lock (_gate)
            {
                return new PoolStats(Provider,
                    [.. _keys.Select(k => new KeyStats(k.Alias, k.Sent, k.Succeeded, k.RateLimited, k.Failed, k.BreakerOpened, k.Disabled,
                        k.Cap == int.MaxValue ? null : k.Cap))],
                    _measured,
                    _inputActual > 0 ? _inputAbsoluteError / _inputActual : 0,
                    _inputActual > 0 ? _inputSignedError / _inputActual : 0,
                    _used > 0 ? _reserved / _used : 0);
            }
        }
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IList<ChatMessage> ?? [.. messages];
        var sticky = options?.AdditionalProperties?.TryGetValue(PromptExecutor.StickyKeyProperty, out var value) == true ? value as string : null;
        var sendOptions = WithoutFanoutProperties(options);
        var estimate = RequestEstimate.For(list, options, _options.DefaultOutputEstimate);
        var held = TimeSpan.Zero;
        for (var reroutes = 0; ; reroutes++)
        {
            var asked = _time.GetUtcNow();
            var grant = await Admit(estimate, sticky, cancellationToken);
            var key = grant.Key;
            ChatResponse response;
            try
            {
                if (grant.Ahead)
                {
                    Interlocked.Increment(ref _holding);
                    try
                    {
                        // Measured from the grant, not from when this continuation got to run.
                        var delay = grant.SendAt - _time.GetUtcNow();
                        if (delay > TimeSpan.Zero)
                        {
                            await Task.Delay(delay, _time, cancellationToken);
                        }
                    }
                    finally
                    {
                        lock (_gate)
                        {
                            key.ReservedAhead = false;
                            _holding--;
                        }
                    }
                }

                held += _time.GetUtcNow() - asked;

                response = await key.Key.Client.GetResponseAsync(list, sendOptions, cancellationToken);
            }
            catch (RateLimitedException e)
            {
                Finish(key, estimate, null, k => k.Throttled(e.RetryAfter, _time.GetUtcNow()));
                if (reroutes >= _options.MaxReroutes)
                {
                    throw;
                }

                continue;
            }
            catch (KeyRejectedException e)
            {
                // The next admission picks another key, or fails with this message when none is left.
                Finish(key, estimate, null, k =>
                {
                    k.Disable(e.Message);
                    _lastRejection = e.Message;
                });
                continue;
            }
            catch (Exception e) when (e is TaskFailedException { Retryable: false } || (e is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                // A bad request or the caller's cancellation says nothing about the key's health.
                Finish(key, estimate, null, null);
                throw;
            }
            catch
            {
                Finish(key, estimate, null, k => k.Failure(_time.GetUtcNow()));
                throw;
            }

            Finish(key, estimate, response.Usage, k => k.Success());
            Measure(estimate, response.Usage);
            response.AdditionalProperties ??= [];
            response.AdditionalProperties[PromptExecutor.KeyAliasProperty] = key.Alias;
            response.AdditionalProperties[PromptExecutor.HeldProperty] = held;
            return response;
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        _timer.Dispose();
        foreach (var key in _keys)
        {
            key.Key.Client.Dispose();
        }
    }

    private void Observe(KeyState key, int status, Func<string, string?> header, DateTimeOffset sentAt)
    {
        var now = _time.GetUtcNow();
        var snapshot = RateHeaders.Parse(status, header, now);
        lock (_gate)
        {
            key.Observe(snapshot, sentAt, now);
        }
    }

    private void Finish(KeyState key, RequestEstimate estimate, UsageDetails? usage, Action<KeyState>? outcome)
    {
        lock (_gate)
        {
            key.Release(estimate, usage?.OutputTokenCount, _time.GetUtcNow());
            outcome?.Invoke(key);
        }

        Pump();
    }

    private void Measure(RequestEstimate estimate, UsageDetails? usage)
    {
        if (usage?.InputTokenCount is not { } input)
        {
            return;
        }

        lock (_gate)
        {
            _measured++;
            _inputAbsoluteError += Math.Abs(estimate.Input - input);
            _inputSignedError += estimate.Input - input;
            _inputActual += input;
            _reserved += estimate.Total;
            _used += input + (usage.OutputTokenCount ?? 0);
        }
    }

    private static ChatOptions? WithoutFanoutProperties(ChatOptions? options)
    {
        if (options?.AdditionalProperties is not { } properties || !properties.Keys.Any(IsFanoutProperty))
        {
            return options;
        }

        var copy = options.Clone();
        copy.AdditionalProperties = [];
        foreach (var (name, value) in properties.Where(p => !IsFanoutProperty(p.Key)))
        {
            copy.AdditionalProperties[name] = value;
        }

        return copy;
    }

    private static bool IsFanoutProperty(string name) => name.StartsWith("fanout.", StringComparison.Ordinal);
}
