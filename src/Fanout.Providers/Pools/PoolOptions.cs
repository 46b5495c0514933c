using Microsoft.Extensions.AI;

namespace Fanout.Providers.Pools;

/// <summary>How a pool picks a key among those that can take a request now.</summary>
public enum Routing
{
    /// <summary>The key with the most remaining capacity (the default).</summary>
    LeastLoaded,

    /// <summary>Each key in turn.</summary>
    RoundRobin,

    /// <summary>In proportion to each key's <c>weight</c> (smooth weighted round-robin).</summary>
    Weighted,

    /// <summary>The same key for the same task (rendezvous hashing of the task id), so prompt caches stay warm.</summary>
    Sticky,
}

/// <summary>One key of a pool.</summary>
/// <param name="Alias">The name shown in reports; never the secret.</param>
/// <param name="Client">The client sending with this key (its rate-limit headers go to <paramref name="Headers"/>).</param>
/// <param name="Headers">Where the client reports each response's status and headers.</param>
public sealed record PoolKey(string Alias, IChatClient Client, RateHeaderSink Headers)
{
    /// <summary>Share of traffic under weighted routing.</summary>
    public double Weight { get; init; } = 1;

    /// <summary>Declared limits.</summary>
    public KeyLimits Limits { get; init; } = new();
}

/// <summary>How a pool behaves; defaults are what the plan gets when it says nothing.</summary>
public sealed record PoolOptions
{
    /// <summary>The clock every wait uses.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Key choice; default least-loaded.</summary>
    public Routing Routing { get; init; } = Routing.LeastLoaded;

    /// <summary>Learn limits from headers and find the sustainable concurrency by AIMD instead of trusting declared ones.</summary>
    public bool Adaptive { get; init; }

    /// <summary>How much of a minute's limit may go at once (default a minute, as providers grant it, so the allowance
    /// they give up front is spent); a key's <see cref="KeyLimits.Burst"/> overrides it.</summary>
    public TimeSpan Burst { get; init; } = TokenBucket.DefaultWindow;

    /// <summary>Refill kept in hand beyond each request (default 100 ms of each limit): requests reach the provider a
    /// little unevenly, and a pool that spends exactly the allowance would draw a 429 whenever two arrive closer
    /// together than they were granted. Costs that much time once, not per request.</summary>
    public TimeSpan Slack { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long a request that does not fit lets smaller ones pass before it reserves ahead (default 2 s).</summary>
    public TimeSpan Patience { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Cooldown after a 429 that names no wait (default 1 s).</summary>
    public TimeSpan DefaultCooldown { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Times one request is sent to another key after a 429 before the 429 goes to the task's retry policy (default 50).</summary>
    public int MaxReroutes { get; init; } = 50;

    /// <summary>Consecutive failures of a key that open its circuit breaker (default 5).</summary>
    public int BreakerThreshold { get; init; } = 5;

    /// <summary>How long an open breaker keeps its key out before one probe request (default 30 s).</summary>
    public TimeSpan BreakerOpen { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Concurrency each key starts at in adaptive mode until the first answer names its limits (default 2).</summary>
    public int AdaptiveStart { get; init; } = 2;

    /// <summary>Output tokens reserved when a request sets no <c>max_tokens</c> (default 512).</summary>
    public int DefaultOutputEstimate { get; init; } = 512;
}
