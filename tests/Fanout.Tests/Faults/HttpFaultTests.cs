using Fanout.Providers;
using Fanout.Simulator;
using Fanout.Tests.Plans;
using Fanout.Tests.Simulator;
using Fanout.Time;

namespace Fanout.Tests.Faults;

/// <summary>
/// The 50-task plan through the official OpenAI SDK against the simulator's HTTP server, 20% of requests failing at
/// the HTTP level (500, 503, hangs, connection resets, malformed JSON, truncated bodies) and a key limit low enough to
/// draw 429s. Server and scheduler share a clock running 100 times faster than real time, so the minute-long limit
/// window, Retry-After waits and attempt timeouts take milliseconds: every task succeeds and the report shows why.
/// </summary>
public class HttpFaultTests
{
    private const string Key = "sk-fault-test-KEY";

    [Fact]
    public async Task Every_task_succeeds_over_http_despite_20_percent_faults_and_429s_and_the_report_shows_the_retries()
    {
        var clock = new ScaledTimeProvider(100);
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            Port = 0,
            // 20 requests per (fast) minute: the first 20 go at once, then one every 3 s of run time — low enough that
            // 50 tasks draw 429s even when a loaded machine stretches the run (the key pool then waits them out).
            Keys = [new SimulatorKey("faulty", Key) { Rpm = 20 }],
            Simulation = SimulatorFixture.Instant,
            Time = clock,
            // Each kind once first, so every kind is seen whatever the draws; then 20% by rate.
            Faults = new FaultSettings
            {
                Rate = 0.2,
                Seed = 5,
                Script = [HttpFault.ServerError, HttpFault.Unavailable, HttpFault.Timeout, HttpFault.Reset, HttpFault.MalformedJson, HttpFault.TruncatedStream],
            },
        });
        var plan = Load.Yaml(InProcessFaultTests.FiftyTasks($$"""
            providers:
              openai: { type: openai, api_key: "${FAULT_KEY}", base_url: "{{new Uri(server.Address, "v1")}}", model: gpt-4o-mini }
            """)
            // Minutes of run time pass in a second here; today's scheduler spends an attempt on each 429, so allow many.
            .Replace("timeout: 5s", "timeout: 20s", StringComparison.Ordinal)
            .Replace("max_attempts: 12", "max_attempts: 40", StringComparison.Ordinal)
            .Replace("concurrency: 12", "concurrency: 4", StringComparison.Ordinal));
        using var providers = ProviderSetup.Create(plan, new ProviderOptions { Time = clock, GetEnvironmentVariable = _ => Key });
        var options = new RunOptions
        {
            RunId = "http-faults",
            Seed = 3,
            Time = clock,
            Executors = ExecutorRegistry.CreateDefault().With(new PromptExecutor(providers)),
        };

        var report = await new Scheduler(TaskGraph.Compile(plan), options).RunAsync();

        Assert.True(report.Status == RunStatus.Succeeded, string.Join("\n", report.Tasks.Where(t => t.Status != TaskState.Succeeded).Select(t => $"{t.Id}: {t.Error}")));
        Assert.Equal(50, report.Tasks.Count(t => t.Status == TaskState.Succeeded));
        // 429s never reach the scheduler: the key pool cools the key down and sends the request again when it recovers.
        Assert.True(providers.Pools.Single().Keys.Single().RateLimited > 0, "no 429 was seen");
        Assert.True(report.Retries >= 6 + report.RateLimited, $"{report.Retries} retries, {report.RateLimited} rate limited");
        var errors = report.Tasks.SelectMany(t => t.AttemptLog).Where(a => a.Outcome != AttemptOutcome.Succeeded).Select(a => a.Error ?? "").ToList();
        Assert.Equal(report.Retries, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("OpenAI HTTP 500: The server had an error", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("OpenAI HTTP 503: The engine is currently overloaded", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("timed out after", StringComparison.Ordinal));
        Assert.True(report.Tasks.Count(t => t.Attempts > 1) >= 6);
        Assert.DoesNotContain(errors, e => e.Contains(Key, StringComparison.Ordinal));
    }
}
