using System.Collections.Immutable;
using Fanout.Providers.Simulation;

namespace Fanout.Simulator;

/// <summary>Everything a simulator server needs: keys, generation settings, faults, clock and port.</summary>
public sealed record SimulatorOptions
{
    /// <summary>The key every default simulator accepts, unlimited.</summary>
    public const string DefaultKey = "sk-sim";

    /// <summary>Accepted keys (default: one unlimited key <c>sk-sim</c>).</summary>
    public ImmutableArray<SimulatorKey> Keys { get; init; } = [new SimulatorKey("default", DefaultKey)];

    /// <summary>Answer generation and latency per model (the same settings as a provider's <c>simulate:</c> block); its failure fields are ignored, see <see cref="Faults"/>.</summary>
    public SimulationSettings Simulation { get; init; } = new();

    /// <summary>HTTP-level faults injected by rate or by script.</summary>
    public FaultSettings Faults { get; init; } = new();

    /// <summary>The clock of rate limits and latency (tests pass a manual one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>How long after its creation a batch (either Batch API) ends, on <see cref="Time"/>.</summary>
    public TimeSpan BatchDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; } = 8089;
}

/// <summary>A fault the simulator can inject at the HTTP level.</summary>
public enum HttpFault
{
    /// <summary>HTTP 500.</summary>
    ServerError,

    /// <summary>HTTP 503.</summary>
    Unavailable,

    /// <summary>No response until the client gives up.</summary>
    Timeout,

    /// <summary>The connection is aborted without a response.</summary>
    Reset,

    /// <summary>HTTP 200 with a body cut in the middle of its JSON.</summary>
    MalformedJson,

    /// <summary>A stream that stops before its end (no finish chunk, no <c>[DONE]</c>); for non-stream requests, a reset.</summary>
    TruncatedStream,
}

/// <summary>Faults by rate (each request independently) and by script (the first requests, in order).</summary>
public sealed record FaultSettings
{
    /// <summary>Wire names of <see cref="HttpFault"/>.</summary>
    public static IReadOnlyDictionary<string, HttpFault> ByName { get; } = new Dictionary<string, HttpFault>(StringComparer.Ordinal)
    {
        ["server_error"] = HttpFault.ServerError,
        ["unavailable"] = HttpFault.Unavailable,
        ["timeout"] = HttpFault.Timeout,
        ["reset"] = HttpFault.Reset,
        ["malformed_json"] = HttpFault.MalformedJson,
        ["truncated_stream"] = HttpFault.TruncatedStream,
    };

    /// <summary>Probability in [0, 1] that an admitted request fails.</summary>
    public double Rate { get; init; }

    /// <summary>Kinds drawn uniformly when a request fails by rate (default: all).</summary>
    public ImmutableArray<HttpFault> Kinds { get; init; } = [.. Enum.GetValues<HttpFault>()];

    /// <summary>Outcomes of the first admitted requests in order (null: a normal answer), before the rate applies.</summary>
    public ImmutableArray<HttpFault?> Script { get; init; } = [];

    /// <summary>Seed of the fault draws.</summary>
    public int Seed { get; init; }
}
