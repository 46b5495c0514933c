using System.Text.Json;
using Fanout.Providers;
using Fanout.Providers.Anthropic;
using Fanout.Providers.OpenAI;
using Fanout.Providers.Pools;
using Fanout.Simulator;
using Fanout.Tests.Plans;
using Fanout.Tests.Simulator;
using Fanout.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.Tests.Pools;

/// <summary>Pools over the simulator's HTTP server with the official SDKs; server and client share a fake clock the tests move.</summary>
public class HttpPoolTests
{
    private static readonly string[] Secrets = ["sk-pool-http-ONE", "sk-pool-http-TWO", "sk-pool-http-THREE"];

    private static async Task<SimulatorServer> Start(TimeProvider clock, int rpm) => await SimulatorServer.StartAsync(new SimulatorOptions
    {
        Port = 0,
        Keys = [.. Secrets.Select((s, i) => new SimulatorKey($"sim-{i + 1}", s) { Rpm = rpm })],
        Simulation = SimulatorFixture.Instant,
        Time = clock,
    });

    private static ProviderSet Providers(SimulatorServer server, TimeProvider clock, string limits) => ProviderSetup.Create(
        new PlanDefinition
        {
            Name = "p",
            Providers = [new ProviderDefinition
            {
                Name = "llm",
                Type = "openai",
                Config = JsonDocument.Parse($$"""
                    {"type":"openai","model":"gpt-4o-mini","base_url":"{{new Uri(server.Address, "v1")}}","limits":"{{limits}}",
                     "keys":[{"alias":"one","api_key":"${K0}"{{(limits == "declared" ? ",\"rpm\":30" : "")}}},
                             {"alias":"two","api_key":"${K1}"{{(limits == "declared" ? ",\"rpm\":30" : "")}}},
                             {"alias":"three","api_key":"${K2}"{{(limits == "declared" ? ",\"rpm\":30" : "")}}}]}
                    """).RootElement.Clone(),
            }],
        },
        new ProviderOptions { Time = clock, GetEnvironmentVariable = name => Secrets[name[1] - '0'] });

    [Theory]
    [InlineData("declared")]
    [InlineData("adaptive")]
    public async Task A_three_key_pool_spreads_requests_over_every_key_without_a_429(string limits)
    {
        var clock = new FakeTimeProvider();
        await using var server = await Start(clock, rpm: 30);
        using var providers = Providers(server, clock, limits);
        var client = providers.Resolve("llm", null).Client;
        var pool = providers.PoolOf("llm")!;

        // 120 requests, far beyond one minute's burst of the three keys (90): the pool must pace them. The clock moves
        // only when every unanswered request waits in the pool (the simulator answers at once), so no request can be
        // sent later than the pool meant it to be: a 429 here is the pool's own mistake.
        var asks = Enumerable.Range(0, 120).Select(i =>
            client.GetResponseAsync([new ChatMessage(ChatRole.User, $"question {i}")], new ChatOptions { MaxOutputTokens = 40 })).ToList();
        for (var step = 0; step < 600 && asks.Any(a => !a.IsCompleted); step++)
        {
            await PoolKit.Until(() => pool.Waiting == asks.Count(a => !a.IsCompleted));
            clock.Advance(TimeSpan.FromMilliseconds(500));
        }

        var answers = await PoolKit.Done(Task.WhenAll(asks));

        var stats = providers.Pools.Single();
        Assert.Equal(120, answers.Length);
        Assert.All(stats.Keys, k => Assert.True(k.Succeeded >= 30, $"{k.Alias}: {k.Succeeded}"));
        Assert.Equal(0, stats.Keys.Sum(k => k.RateLimited));
        Assert.Equal(["one", "three", "two"], answers.Select(a => (string)a.AdditionalProperties![PromptExecutor.KeyAliasProperty]!).Distinct().Order());
    }

    [Fact]
    public async Task OpenAI_responses_report_their_rate_limit_headers_and_429s_their_retry_after()
    {
        await using var server = await Start(TimeProvider.System, rpm: 1);
        var sink = new RateHeaderSink();
        var seen = new List<(int Status, string? Limit, string? RetryAfter)>();
        sink.Listen((status, header, _) => seen.Add((status, header("x-ratelimit-limit-requests"), header("retry-after-ms"))), TimeProvider.System);
        using var client = OpenAIKeyClient.Create(new KeyIdentity("one", Secrets[0]), new Uri(server.Address, "v1"), "gpt-4o-mini", sink);

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]);
        await Assert.ThrowsAsync<RateLimitedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "again")]));

        Assert.Equal((200, "1", null), seen[0]);
        Assert.Equal(429, seen[1].Status);
        Assert.InRange(double.Parse(seen[1].RetryAfter!, System.Globalization.CultureInfo.InvariantCulture), 1, 60_000);
    }

    [Fact]
    public async Task Anthropic_responses_report_their_rate_limit_headers()
    {
        await using var server = await Start(TimeProvider.System, rpm: 50);
        var sink = new RateHeaderSink();
        var seen = new List<(int Status, string? Limit, string? Reset)>();
        sink.Listen((status, header, _) => seen.Add((status, header("anthropic-ratelimit-requests-limit"), header("anthropic-ratelimit-requests-reset"))), TimeProvider.System);
        using var client = AnthropicKeyClient.Create(new KeyIdentity("one", Secrets[0]), server.Address, "claude-sonnet-4", sink);

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]);

        var (status, limit, reset) = Assert.Single(seen);
        Assert.Equal((200, "50"), (status, limit));
        Assert.True(DateTimeOffset.TryParse(reset, System.Globalization.CultureInfo.InvariantCulture, out _), reset);
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public async Task A_429s_retry_after_header_reaches_the_pool_which_holds_the_request_exactly_that_long(string type)
    {
        // Two requests a minute: the third draws a 429 asking for 30 s. The pool's own cooldown is an hour, so only
        // the server's header can release the request after 30 s. (Anthropic's SDK exception carries no headers: there
        // the wait can only come through the rate-header handler.)
        var clock = new FakeTimeProvider();
        await using var server = await SimulatorFixture.Start(new SimulatorKey("sim", Secrets[0]) { Rpm = 2 }, clock);
        var sink = new RateHeaderSink();
        var key = new KeyIdentity("one", Secrets[0]);
        var client = type == "openai"
            ? OpenAIKeyClient.Create(key, new Uri(server.Address, "v1"), "gpt-4o-mini", sink)
            : AnthropicKeyClient.Create(key, server.Address, "claude-sonnet-4", sink);
        // Patience of an hour too: the request stays queued until the key opens, rather than being booked ahead on a
        // timer its own continuation arms (which a test moving the clock could outrun).
        using var pool = new KeyPool("llm", [new PoolKey("one", client, sink)], new PoolOptions
        {
            Time = clock,
            DefaultCooldown = TimeSpan.FromHours(1),
            Patience = TimeSpan.FromHours(1),
        });
        await PoolKit.Ask(pool, "1");
        await PoolKit.Ask(pool, "2");

        var third = PoolKit.Ask(pool, "3");
        await PoolKit.Until(() => pool.Stats.Keys[0].RateLimited == 1 && pool.Waiting == 1);
        // A second at a time: the pool may arm its timer just after a step, which costs it at most that step.
        var waited = TimeSpan.Zero;
        while (!third.IsCompleted && waited < TimeSpan.FromMinutes(2))
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            waited += TimeSpan.FromSeconds(1);
            await PoolKit.Until(() => third.IsCompleted || pool.Waiting == 1);
        }

        Assert.Equal("one", PoolKit.KeyOf(await PoolKit.Done(third)));
        Assert.InRange(waited, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(31));
        Assert.Equal((3L, 1L), (pool.Stats.Keys[0].Succeeded, pool.Stats.Keys[0].RateLimited));
    }

    [Fact]
    public async Task A_prompt_task_over_http_records_the_servers_usage_and_its_cost()
    {
        await using var server = await SimulatorFixture.Start();
        const string Prompt = "Write one line about rivers.";
        var direct = (await SimulatorFixture.OpenAI(server).CompleteChatAsync([new OpenAI.Chat.UserChatMessage(Prompt)])).Value.Usage;
        var plan = Load.Yaml($$"""
            name: usage
            providers:
              llm: { type: openai, api_key: "${KEY}", base_url: "{{new Uri(server.Address, "v1")}}", model: gpt-4o-mini, pricing: { gpt-4o-mini: { input: 1, output: 2 } } }
            tasks:
              - { id: line, prompt: "{{Prompt}}" }
            """);
        using var providers = ProviderSetup.Create(plan, new ProviderOptions { GetEnvironmentVariable = _ => SimulatorFixture.Key });

        var report = await new Scheduler(TaskGraph.Compile(plan), new RunOptions
        {
            RunId = "usage",
            Executors = ExecutorRegistry.CreateDefault().With(new PromptExecutor(providers)),
        }).RunAsync();

        var row = report.Row("line");
        Assert.Equal(new TokenTotals(direct.InputTokenCount, direct.OutputTokenCount), row.Tokens);
        Assert.Equal((direct.InputTokenCount * 1m + direct.OutputTokenCount * 2m) / 1_000_000m, row.CostUsd);
        Assert.Equal(("llm", "gpt-4o-mini", "KEY"), (row.Provider, row.Model, row.Key));
    }

    [Fact]
    public async Task A_pool_key_the_server_rejects_is_disabled_and_the_others_answer()
    {
        await using var server = await Start(TimeProvider.System, rpm: 1000);
        var config = JsonDocument.Parse($$"""
            {"type":"openai","model":"gpt-4o-mini","base_url":"{{new Uri(server.Address, "v1")}}","routing":"round-robin",
             "keys":[{"alias":"wrong","api_key":"${BAD}"},{"alias":"right","api_key":"${GOOD}"}]}
            """).RootElement.Clone();
        using var providers = ProviderSetup.Create(new PlanDefinition { Name = "p", Providers = [new ProviderDefinition { Name = "llm", Type = "openai", Config = config }] },
            new ProviderOptions { GetEnvironmentVariable = name => name == "BAD" ? "sk-not-a-simulator-key" : Secrets[0] });
        var client = providers.Resolve("llm", null).Client;

        for (var i = 0; i < 3; i++)
        {
            await client.GetResponseAsync([new ChatMessage(ChatRole.User, $"q{i}")]);
        }

        var wrong = providers.Pools.Single().Keys[0];
        Assert.Equal(1, wrong.Sent);
        Assert.Equal("OpenAI HTTP 401 (key 'wrong'): Incorrect API key provided.", wrong.Disabled);
        Assert.Equal(3, providers.Pools.Single().Keys[1].Succeeded);
    }
}
