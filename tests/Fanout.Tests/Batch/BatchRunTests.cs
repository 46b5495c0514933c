using System.Diagnostics;
using System.Text.Json;
using Fanout.Simulator;
using Fanout.Tests.Cli;
using Fanout.Tests.Simulator;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.Tests.Batch;

/// <summary>
/// <c>mode: batch</c> prompts run by a real <c>fanout</c> process against the simulator over HTTP: the simulator's
/// batches end when the test moves its clock (a <see cref="FakeTimeProvider"/>), and it counts the batches created.
/// </summary>
public sealed class BatchRunTests : IDisposable
{
    private static readonly TimeSpan Delay = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly string _directory = Directory.CreateTempSubdirectory("fanout-batch-").FullName;
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("openai")]
    [InlineData("anthropic")]
    public async Task A_batch_foreach_goes_out_as_one_batch_and_every_item_is_matched_back_at_half_price(string type)
    {
        await using var server = await Start();
        var plan = Plan(server, type, items: 3);
        using var run = Fanout("run", plan);
        await UntilAsync(() => server.BatchesCreated == 1, run);
        _time.Advance(Delay);
        var exit = await run.ExitAsync(Patience);

        Assert.True(exit.ExitCode == 0, exit.ToString());
        Assert.Equal(1, server.BatchesCreated);
        var items = Items();
        Assert.Equal(3, items.Count);
        foreach (var item in items)
        {
            Assert.Equal("succeeded", item.GetProperty("status").GetString());
            Assert.False(string.IsNullOrEmpty(item.GetProperty("output").GetString()));
            Assert.True(item.GetProperty("details").GetProperty("batch").GetBoolean());
            var tokens = item.GetProperty("tokens");
            var (price, input, output) = type == "openai" ? ((0.15m, 0.60m), 0m, 0m) : ((3.00m, 15.00m), 0m, 0m);
            input = tokens.GetProperty("input").GetInt64();
            output = tokens.GetProperty("output").GetInt64();
            Assert.Equal((input * price.Item1 + output * price.Item2) / 1_000_000m * 0.5m, item.GetProperty("cost_usd").GetDecimal());
        }
    }

    [Fact]
    public async Task A_run_killed_mid_batch_resumes_polling_the_journaled_batch_without_resubmitting()
    {
        await using var server = await Start();
        var plan = Plan(server, "openai", items: 4);
        using (var first = Fanout("run", plan))
        {
            await UntilAsync(() => server.BatchesCreated == 1 && JournaledItems() == 4, first);
            await first.KillAsync();
        }

        _time.Advance(Delay);
        using var resumed = Fanout("run", plan, "--resume");
        var exit = await resumed.ExitAsync(Patience);

        Assert.True(exit.ExitCode == 0, exit.ToString());
        Assert.Equal(1, server.BatchesCreated);
        Assert.All(Items(), i => Assert.Equal("succeeded", i.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task An_item_the_provider_failed_is_retried_by_the_task_retry_policy_in_a_new_batch()
    {
        await using var server = await Start(new FaultSettings { Script = [HttpFault.ServerError] });
        var plan = Plan(server, "openai", items: 1);
        using var run = Fanout("run", plan);
        await UntilAsync(() => server.BatchesCreated == 1, run);
        _time.Advance(Delay);
        await UntilAsync(() => server.BatchesCreated == 2, run);
        _time.Advance(Delay);
        var exit = await run.ExitAsync(Patience);

        Assert.True(exit.ExitCode == 0, exit.ToString());
        var item = Assert.Single(Items());
        Assert.Equal(2, item.GetProperty("attempts").GetInt32());
        Assert.Contains("HTTP 500", item.GetProperty("attempt_log")[0].GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    private Task<SimulatorServer> Start(FaultSettings? faults = null) => SimulatorServer.StartAsync(new SimulatorOptions
    {
        Port = 0,
        Keys = [new SimulatorKey("test", SimulatorFixture.Key)],
        Simulation = SimulatorFixture.Instant,
        Time = _time,
        Faults = faults ?? new FaultSettings(),
        BatchDelay = Delay,
    });

    private FanoutProcess Fanout(params string[] args)
    {
        // The child inherits it: a plan names its key by variable, never by value.
        Environment.SetEnvironmentVariable("FANOUT_BATCH_TEST_KEY", SimulatorFixture.Key);
        return FanoutProcess.Start(_directory, [.. args, "--store", "sqlite:fanout.db", "--plain", "--out", "out"]);
    }

    private string Plan(SimulatorServer server, string type, int items)
    {
        var url = type == "openai" ? new Uri(server.Address, "v1").ToString() : server.Address.ToString();
        var model = type == "openai" ? "gpt-4o-mini" : "claude-sonnet-4";
        var path = Path.Combine(_directory, "plan.yaml");
        File.WriteAllText(path, $$"""
            name: batch
            defaults:
              provider: llm
              retry: { max_attempts: 2, base_delay: 10ms, max_delay: 10ms }
            providers:
              llm:
                type: {{type}}
                base_url: {{url}}
                api_key: ${FANOUT_BATCH_TEST_KEY}
                model: {{model}}
                batch: { window: 100ms, poll: 20ms }
            tasks:
              - id: summarize
                foreach: {{JsonSerializer.Serialize(Enumerable.Range(1, items).Select(i => $"document {i}"))}}
                mode: batch
                prompt: "Summarize {{"{{item}}"}}"
            """);
        return path;
    }

    private List<JsonElement> Items()
    {
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(_directory, "out", "run.json")));
        return [.. report.RootElement.GetProperty("tasks").EnumerateArray().Where(t => t.TryGetProperty("parent", out var p) && p.GetString() == "summarize").Select(t => t.Clone())];
    }

    private long JournaledItems()
    {
        var file = Path.Combine(_directory, "fanout.db");
        if (!File.Exists(file))
        {
            return 0;
        }

        try
        {
            using var connection = new SqliteConnection($"Data Source={file};Mode=ReadOnly;Pooling=False");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM batch_items";
            return (long)command.ExecuteScalar()!;
        }
        catch (SqliteException)
        {
            // Not migrated yet.
            return 0;
        }
    }

    /// <summary>Waits for a condition on the simulator or the journal of another process: there is no event to wait on.</summary>
    private static async Task UntilAsync(Func<bool> condition, FanoutProcess run)
    {
        var watch = Stopwatch.StartNew();
        var exited = run.WaitAsync(Patience);
        while (!condition())
        {
            if (watch.Elapsed > Patience || exited.IsCompletedSuccessfully)
            {
                throw new TimeoutException("the condition never held; the run: " + (await run.ExitAsync(TimeSpan.FromSeconds(1))));
            }

            await Task.Delay(10);
        }
    }
}
