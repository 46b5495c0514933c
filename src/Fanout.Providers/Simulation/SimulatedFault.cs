namespace Fanout.Providers.Simulation;

/// <summary>A failure the simulated provider can inject.</summary>
public enum SimulatedFault
{
    /// <summary>HTTP 500: retryable.</summary>
    ServerError,

    /// <summary>HTTP 429: retryable, counted as rate limited.</summary>
    RateLimit,

    /// <summary>No answer: the call hangs until cancelled (or the simulated network timeout).</summary>
    Timeout,

    /// <summary>Broken JSON when JSON was asked for (a normal answer otherwise).</summary>
    MalformedJson,

    /// <summary>HTTP 400: not retryable.</summary>
    BadRequest,

    /// <summary>JSON that breaks the requested schema (a required property dropped, a value of the wrong type) when a
    /// schema was asked for; a normal answer otherwise.</summary>
    SchemaViolation,
}

/// <summary>Counts of the failures a simulated provider injected, by kind (for tests and the report).</summary>
public interface ISimulatedFaults
{
    /// <summary>How many failures of each kind were injected so far (kinds never injected are absent).</summary>
    IReadOnlyDictionary<SimulatedFault, long> InjectedFaults { get; }
}

/// <summary>Wire names of <see cref="SimulatedFault"/> as written in plans.</summary>
public static class SimulatedFaults
{
    /// <summary>Every kind by its plan name.</summary>
    public static IReadOnlyDictionary<string, SimulatedFault> ByName { get; } = new Dictionary<string, SimulatedFault>(StringComparer.Ordinal)
    {
        ["server_error"] = SimulatedFault.ServerError,
        ["rate_limit"] = SimulatedFault.RateLimit,
        ["timeout"] = SimulatedFault.Timeout,
        ["malformed_json"] = SimulatedFault.MalformedJson,
        ["bad_request"] = SimulatedFault.BadRequest,
        ["schema_violation"] = SimulatedFault.SchemaViolation,
    };

    /// <summary>The plan name of <paramref name="fault"/>.</summary>
    public static string ToWire(this SimulatedFault fault) => ByName.First(p => p.Value == fault).Key;
}
