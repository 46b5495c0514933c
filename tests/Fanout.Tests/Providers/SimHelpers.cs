using System.Collections.Immutable;
using System.Text.Json;
using Fanout.Providers.Simulation;
using Fanout.Time;
using Microsoft.Extensions.AI;

namespace Fanout.Tests.Providers;

internal static class SimHelpers
{
    public static SimulationSettings Settings(LatencyModel latency, TimeSpan? perToken = null, (int, int)? outputTokens = null,
        double failureRate = 0, params SimulatedFault[] failures) => new()
    {
        Seed = 7,
        FailureRate = failureRate,
        Failures = failures.Length > 0 ? [.. failures] : [SimulatedFault.ServerError],
        Models = ImmutableDictionary<string, ModelSimulation>.Empty.Add(SimulationSettings.AnyModel, new ModelSimulation
        {
            Latency = latency,
            PerOutputToken = perToken ?? TimeSpan.Zero,
            OutputTokens = outputTokens,
        }),
    };

    public static List<ChatMessage> Ask(string prompt) => [new(ChatRole.User, prompt)];

    public static ChatOptions Json(string? schema = null) => new()
    {
        ResponseFormat = schema is null ? ChatResponseFormat.Json : ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(schema).RootElement, "out"),
    };

    /// <summary>Runs <paramref name="body"/> on a fresh virtual clock; returns its result and the virtual time it took.</summary>
    public static (T Result, TimeSpan Elapsed) Timed<T>(Func<VirtualClock, Task<T>> body)
    {
        var clock = new VirtualClock();
        var start = clock.GetUtcNow();
        var result = VirtualTime.Run(clock, () => body(clock));
        return (result, clock.GetUtcNow() - start);
    }
}
