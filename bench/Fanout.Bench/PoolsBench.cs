// Key pools against the simulator's HTTP server: 2,000 chat requests of mixed sizes over 3 keys (600 RPM and
// 60,000 TPM each) through the official OpenAI SDK, three ways: limits declared, limits learnt (adaptive), and a
// naive unbounded Task.WhenAll that retries each 429 after the server's Retry-After. Usage:
//   dotnet run -c Release --project bench/Fanout.Bench -- pools [--requests N] [--speed X]
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Fanout.Providers;
using Fanout.Providers.Simulation;
using Fanout.Simulator;
using Fanout.Time;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAIChat = OpenAI.Chat;

namespace Fanout.Bench;

internal static class PoolsBench
{
    private const int Rpm = 600;
    private const int Tpm = 60_000;
    private const int MaxTokens = 150;
    private static readonly string[] Keys = ["sk-bench-key-one", "sk-bench-key-two", "sk-bench-key-three"];

    public static async Task RunAsync(string[] args)
    {
        var requests = Arg(args, "--requests", 2000);
        var speed = Arg(args, "--speed", 10);
        var prompts = Prompts(requests);

        // JIT, connection pools and the thread pool warm up first: at 10× speed, one real second of start-up would
        // cost ten simulated seconds of the measured run.
        await Pooled(null, Prompts(100), speed, adaptive: false);
        await Pooled(null, Prompts(100), speed, adaptive: true);
        await Naive(Prompts(100), speed, print: false);
        Console.WriteLine($"# Key pools — {requests:N0} requests over {Keys.Length} keys ({Rpm} RPM, {Tpm:N0} TPM each), simulator over HTTP, official OpenAI SDK");
        Console.WriteLine();
        Console.WriteLine($"Simulator and client share one clock running {speed}× faster than real time (minutes are in simulated time).");
        Console.WriteLine("Throughput is against the binding aggregate limit: max(requests / (3 × RPM), metered tokens / (3 × TPM)) minutes of work,");
        Console.WriteLine("metered as the simulator meters it (prompt characters / 4 + output tokens produced).");
        Console.WriteLine();
        Console.WriteLine("| mode | succeeded | 429s | simulated minutes | binding minutes | throughput vs limit | wall (s) | per key (answered) |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        await Pooled("declared", prompts, speed, adaptive: false);
        await Pooled("adaptive", prompts, speed, adaptive: true);
        await Naive(prompts, speed, print: true);
    }

    private static async Task Pooled(string? mode, List<string> prompts, int speed, bool adaptive)
    {
        var clock = new ScaledTimeProvider(speed);
        await using var server = await Start(clock);
        var keys = string.Join(",", Keys.Select((_, i) => adaptive
            ? $$"""{"alias":"key-{{i + 1}}","api_key":"${BENCH_KEY_{{i}}}"}"""
            : $$"""{"alias":"key-{{i + 1}}","api_key":"${BENCH_KEY_{{i}}}","rpm":{{Rpm}},"tpm":{{Tpm}}}"""));
        var config = JsonDocument.Parse($$"""
            {"type":"openai","model":"gpt-4o-mini","base_url":"{{new Uri(server.Address, "v1")}}","limits":"{{(adaptive ? "adaptive" : "declared")}}","keys":[{{keys}}]}
            """).RootElement.Clone();
        var plan = new PlanDefinition { Name = "bench", Providers = [new ProviderDefinition { Name = "sim", Type = "openai", Config = config }] };
        using var providers = ProviderSetup.Create(plan, new ProviderOptions
        {
            Time = clock,
            GetEnvironmentVariable = name => name.StartsWith("BENCH_KEY_", StringComparison.Ordinal) ? Keys[int.Parse(name[10..], CultureInfo.InvariantCulture)] : null,
        });
        var client = providers.Resolve("sim", null).Client;
        var watch = Stopwatch.StartNew();
        var start = clock.GetUtcNow();
        var results = await Task.WhenAll(prompts.Select(async prompt =>
        {
            var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)], new ChatOptions { MaxOutputTokens = MaxTokens });
            return Metered(prompt, response.Usage?.OutputTokenCount ?? 0);
        }));
        var elapsed = clock.GetUtcNow() - start;
        var pool = providers.Pools.Single();
        if (mode is null)
        {
            return;
        }

        Row(mode, results.Length, pool.Keys.Sum(k => k.RateLimited), elapsed, results, watch.Elapsed,
            string.Join(", ", pool.Keys.Select(k => $"{k.Alias} {k.Succeeded}")));
    }

    private static async Task Naive(List<string> prompts, int speed, bool print)
    {
        var clock = new ScaledTimeProvider(speed);
        await using var server = await Start(clock);
        var clients = Keys.Select(key => new OpenAIChat.ChatClient("gpt-4o-mini", new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = new Uri(server.Address, "v1"),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        })).ToArray();
        long rejected = 0;
        var watch = Stopwatch.StartNew();
        var start = clock.GetUtcNow();
        var results = await Task.WhenAll(prompts.Select(async (prompt, i) =>
        {
            while (true)
            {
                try
                {
                    var result = await clients[i % clients.Length].CompleteChatAsync(
                        [new OpenAIChat.UserChatMessage(prompt)], new OpenAIChat.ChatCompletionOptions { MaxOutputTokenCount = MaxTokens });
                    return Metered(prompt, result.Value.Usage.OutputTokenCount);
                }
                catch (ClientResultException e) when (e.Status == 429)
                {
                    Interlocked.Increment(ref rejected);
                    var headers = e.GetRawResponse()!.Headers;
                    var wait = headers.TryGetValue("retry-after-ms", out var ms) ? double.Parse(ms!, CultureInfo.InvariantCulture) : 1000;
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), clock);
                }
            }
        }));
        var elapsed = clock.GetUtcNow() - start;
        if (!print)
        {
            return;
        }

        Row("naive Task.WhenAll", results.Length, rejected, elapsed, results, watch.Elapsed,
            string.Join(", ", Enumerable.Range(0, Keys.Length).Select(k => $"key-{k + 1} {results.Where((_, i) => i % Keys.Length == k).Count()}")));
    }

    private static void Row(string mode, int succeeded, long rejected, TimeSpan elapsed, long[] metered, TimeSpan wall, string perKey)
    {
        var binding = Math.Max(metered.Length / (double)(Keys.Length * Rpm), metered.Sum() / (double)(Keys.Length * Tpm));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {mode} | {succeeded:N0} | {rejected:N0} | {elapsed.TotalMinutes:F2} | {binding:F2} | {binding / elapsed.TotalMinutes:P1} | {wall.TotalSeconds:F1} | {perKey} |"));
    }

    /// <summary>Tokens the simulator charges a request: prompt characters / 4 rounded up, plus the output produced.</summary>
    private static long Metered(string prompt, long output) => (prompt.Length + 3) / 4 + output;

    /// <summary>Mixed sizes, fixed seed: 70% short (50–300 tokens), 25% medium (300–1,000), 5% long (2,000–4,000).</summary>
    private static List<string> Prompts(int count)
    {
        var random = new Random(42);
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var roll = random.NextDouble();
            var tokens = roll < 0.70 ? random.Next(50, 300) : roll < 0.95 ? random.Next(300, 1000) : random.Next(2000, 4000);
            return $"Request {i}: " + string.Concat(Enumerable.Repeat("word ", tokens * 4 / 5));
        })];
    }

    private static Task<SimulatorServer> Start(TimeProvider clock) => SimulatorServer.StartAsync(new SimulatorOptions
    {
        Port = 0,
        Keys = [.. Keys.Select((key, i) => new SimulatorKey($"key-{i + 1}", key) { Rpm = Rpm, Tpm = Tpm })],
        Simulation = new SimulationSettings
        {
            Models = System.Collections.Immutable.ImmutableDictionary<string, ModelSimulation>.Empty.Add(SimulationSettings.AnyModel, new ModelSimulation
            {
                Latency = LatencyModel.Fixed(TimeSpan.FromMilliseconds(800)),
                PerOutputToken = TimeSpan.Zero,
                OutputTokens = (30, 150),
            }),
        },
        Time = clock,
    });

    private static int Arg(string[] args, string name, int fallback)
    {
        var value = args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        return value is null ? fallback : int.Parse(value, CultureInfo.InvariantCulture);
    }
}
