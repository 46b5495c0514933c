// The rate-limit bound: 600 chat requests on one key (1,200 RPM, 150,000 TPM) against the simulator's HTTP server on
// the real clock, whose bucket (like the providers') holds a minute and starts full. Fanout runs them as a plan of
// 600 prompt tasks (declared limits, then adaptive), against the bound the limits allow and a naive Task.WhenAll with
// the official OpenAI .NET client (its default retries). Usage:
//   dotnet run -c Release --project bench/Fanout.Bench -- burst [--runs 3] [--requests 600]
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Fanout.Providers;
using Fanout.Providers.Simulation;
using Fanout.Simulator;
using OpenAI;
using OpenAIChat = OpenAI.Chat;

namespace Fanout.Bench;

internal static class BurstBench
{
    private const int Rpm = 1_200;
    private const int Tpm = 150_000;
    private const int MaxTokens = 100;
    private const string Secret = "sk-bench-burst";
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(100);

    public static async Task RunAsync(string[] args)
    {
        var runs = Arg(args, "--runs", 3);
        var requests = Arg(args, "--requests", 600);
        var prompts = Prompts(requests);
        // Every output is 90–100 tokens; the bound below uses what the simulator actually metered, so it is exact.
        Console.WriteLine($"# Rate-limit bound — {requests} requests on one key ({Rpm:N0} RPM, {Tpm:N0} TPM), simulator over HTTP, real clock");
        Console.WriteLine();
        Console.WriteLine($"Prompts of ~200 tokens, max_tokens {MaxTokens}, answers of 90–100 tokens after {Latency.TotalMilliseconds:0} ms. The simulator's bucket holds a minute and");
        Console.WriteLine("starts full. Bound = time until the limits admit the last request (initial allowance included), from the tokens the");
        Console.WriteLine("simulator metered: (metered tokens − 150,000) / 2,500 per second; requests (600 of 1,200 up front) never bind.");
        Console.WriteLine();
        Console.WriteLine("| mode | run | succeeded | 429s | wall (s) | bound (s) | wall / bound | report lower bound (s) | report efficiency |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        await Fanout(prompts.Take(50).ToList(), adaptive: false, run: 0); // warm-up: JIT and thread pool
        await Naive(prompts.Take(50).ToList(), run: 0);
        foreach (var adaptive in new[] { false, true })
        {
            for (var run = 1; run <= runs; run++)
            {
                await Fanout(prompts, adaptive, run);
            }
        }

        for (var run = 1; run <= runs; run++)
        {
            await Naive(prompts, run);
        }
    }

    private static async Task Fanout(List<string> prompts, bool adaptive, int run)
    {
        await using var server = await Start();
        var key = adaptive ? $$"""{"alias":"key","api_key":"${BENCH_KEY}"}""" : $$"""{"alias":"key","api_key":"${BENCH_KEY}","rpm":{{Rpm}},"tpm":{{Tpm}}}""";
        var config = JsonDocument.Parse($$"""
            {"type":"openai","model":"gpt-4o-mini","base_url":"{{new Uri(server.Address, "v1")}}","limits":"{{(adaptive ? "adaptive" : "declared")}}","keys":[{{key}}]}
            """).RootElement.Clone();
        var builder = new PlanBuilder("burst");
        for (var i = 0; i < prompts.Count; i++)
        {
            builder.Add(new TaskDefinition { Id = $"r{i}", Body = new PromptBody { Provider = "sim", Model = "gpt-4o-mini", Prompt = prompts[i], MaxTokens = MaxTokens } });
        }

        var plan = builder.Build() with { Providers = [new ProviderDefinition { Name = "sim", Type = "openai", Config = config }] };
        using var providers = ProviderSetup.Create(plan, new ProviderOptions { GetEnvironmentVariable = name => name == "BENCH_KEY" ? Secret : null });
        var watch = Stopwatch.StartNew();
        var report = await new Scheduler(TaskGraph.Compile(plan), new RunOptions
        {
            RunId = $"burst-{run}",
            Seed = run,
            // No concurrency given: the run's default must leave room for the key's burst.
            ProviderLimits = providers.Limits,
            Executors = ExecutorRegistry.CreateDefault().With(new PromptExecutor(providers)),
        }).RunAsync();
        watch.Stop();
        if (run == 0)
        {
            return;
        }

        var metered = report.Tasks.Sum(t => (t.Tokens?.Input ?? 0) + (t.Tokens?.Output ?? 0));
        // The pool sees every 429 (the SDK under it does not retry).
        var rejected = providers.Pools.Single().Keys.Sum(k => k.RateLimited);
        Row(adaptive ? "Fanout, limits adaptive" : "Fanout, limits declared", run, report.Counts.GetValueOrDefault("succeeded"), rejected,
            watch.Elapsed, metered, $"{report.LowerBoundMs / 1000:F2}", $"{report.Efficiency:P1}");
    }

    private static async Task Naive(List<string> prompts, int run)
    {
        using var counter = new StatusCounter();
        await using var server = await Start();
        // The official client as most code uses it: default retry policy (it honours retry-after), everything at once.
        var client = new OpenAIChat.ChatClient("gpt-4o-mini", new ApiKeyCredential(Secret), new OpenAIClientOptions
        {
            Endpoint = new Uri(server.Address, "v1"),
            Transport = new HttpClientPipelineTransport(new HttpClient(counter)),
        });
        var watch = Stopwatch.StartNew();
        var results = await Task.WhenAll(prompts.Select(async prompt =>
        {
            try
            {
                var result = await client.CompleteChatAsync([new OpenAIChat.UserChatMessage(prompt)], new OpenAIChat.ChatCompletionOptions { MaxOutputTokenCount = MaxTokens });
                return Metered(prompt, result.Value.Usage.OutputTokenCount);
            }
            catch (ClientResultException e) when (e.Status == 429)
            {
                return -1;
            }
        }));
        watch.Stop();
        if (run == 0)
        {
            return;
        }

        Row("naive Task.WhenAll (OpenAI .NET client)", run, results.Count(r => r >= 0), counter.TooMany, watch.Elapsed, results.Where(r => r >= 0).Sum(), "–", "–");
    }

    private static void Row(string mode, int run, int succeeded, long rejected, TimeSpan wall, long metered, string reportBound, string efficiency)
    {
        // The bound of the work that succeeded, by the one rule the pools and the simulator share.
        var bound = TokenBucket.TimeToAdmit(metered, TokenBucket.CapacityOf(Tpm, TokenBucket.DefaultWindow), Tpm);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {mode} | {run} | {succeeded} | {rejected} | {wall.TotalSeconds:F2} | {bound.TotalSeconds:F2} | {wall / bound:F3} | {reportBound} | {efficiency} |"));
    }

    /// <summary>Tokens the simulator finally charges a request: prompt characters / 4 rounded up, plus the output produced.</summary>
    private static long Metered(string prompt, long output) => (prompt.Length + 3) / 4 + output;

    /// <summary>~200-token prompts (196–204), fixed seed.</summary>
    private static List<string> Prompts(int count)
    {
        var random = new Random(7);
        return [.. Enumerable.Range(0, count).Select(i =>
        {
            var text = $"Request {i}: " + string.Concat(Enumerable.Repeat("word ", 160));
            return text + new string('x', random.Next(0, 32));
        })];
    }

    private static Task<SimulatorServer> Start()
    {
        return SimulatorServer.StartAsync(new SimulatorOptions
        {
            Port = 0,
            Keys = [new SimulatorKey("key", Secret) { Rpm = Rpm, Tpm = Tpm }],
            Simulation = new SimulationSettings
            {
                Models = ImmutableDictionary<string, ModelSimulation>.Empty.Add(SimulationSettings.AnyModel, new ModelSimulation
                {
                    Latency = LatencyModel.Fixed(Latency),
                    PerOutputToken = TimeSpan.Zero,
                    OutputTokens = (90, 100),
                }),
            },
        });
    }

    private static int Arg(string[] args, string name, int fallback)
    {
        var value = args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        return value is null ? fallback : int.Parse(value, CultureInfo.InvariantCulture);
    }

    /// <summary>Counts the 429s a client received (the naive client's own transport).</summary>
    private sealed class StatusCounter() : DelegatingHandler(new HttpClientHandler())
    {
        private long _tooMany;

        public long TooMany => Interlocked.Read(ref _tooMany);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            if ((int)response.StatusCode == 429)
            {
                Interlocked.Increment(ref _tooMany);
            }

            return response;
        }
    }
}
