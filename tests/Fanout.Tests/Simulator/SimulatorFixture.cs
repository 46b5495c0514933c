using System.Collections.Immutable;
using System.ClientModel;
using System.ClientModel.Primitives;
using Fanout.Providers.Simulation;
using Fanout.Simulator;
using OpenAI;
using OpenAI.Chat;

namespace Fanout.Tests.Simulator;

/// <summary>Starts a simulator on a free loopback port with zero latency, so tests never wait on time.</summary>
internal static class SimulatorFixture
{
    public const string Key = "sk-sim-test-KEYVALUE";

    public static SimulationSettings Instant { get; } = new()
    {
        Models = ImmutableDictionary<string, ModelSimulation>.Empty.Add(SimulationSettings.AnyModel, new ModelSimulation
        {
            Latency = LatencyModel.Fixed(TimeSpan.Zero),
            PerOutputToken = TimeSpan.Zero,
            OutputTokens = (20, 40),
        }),
    };

    public static Task<SimulatorServer> Start(SimulatorKey? key = null, TimeProvider? time = null, FaultSettings? faults = null) =>
        SimulatorServer.StartAsync(new SimulatorOptions
        {
            Port = 0,
            Keys = [key ?? new SimulatorKey("test", Key)],
            Simulation = Instant,
            Time = time ?? TimeProvider.System,
            Faults = faults ?? new FaultSettings(),
        });

    /// <summary>The official SDK's chat client, its own retries off so every 429 is seen.</summary>
    public static ChatClient OpenAI(SimulatorServer server, string key = Key, string model = "gpt-4o-mini") =>
        new(model, new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = new Uri(server.Address, "v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });

    public static string Header(ClientResult result, string name) =>
        result.GetRawResponse().Headers.TryGetValue(name, out var value) ? value! : throw new Xunit.Sdk.XunitException($"no header {name}");
}
