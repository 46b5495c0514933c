using System.Text;
using Fanout.Providers;
using Fanout.Providers.Simulation;
using Fanout.Tests.Plans;
using Fanout.Tests.Support;
using Fanout.Time;

namespace Fanout.Tests.Faults;

/// <summary>
/// A 50-task plan on the in-process simulated provider with 20% of calls failing transiently (500, 429, timeouts,
/// malformed JSON, schema violations), in virtual time: every task still succeeds and the report shows the retries.
/// A permanent 400 fails only its own task and skips only its dependents.
/// </summary>
public class InProcessFaultTests
{
    /// <summary>10 roots and 40 dependents, all asking for JSON with a schema so every fault kind can apply.</summary>
    internal static string FiftyTasks(string providers, string extraTasks = "")
    {
        var yaml = new StringBuilder($"""
            name: faults
            concurrency: 12
            {providers}
            defaults:
              timeout: 5s
              retry: {"{"} max_attempts: 12, base_delay: 100ms, max_delay: 2s {"}"}
            tasks:

            """);
        const string Output = "    output: { schema: { type: object, required: [title, score], properties: { title: { type: string }, score: { type: integer } } } }\n";
        for (var i = 0; i < 10; i++)
        {
            yaml.Append($"  - id: root{i}\n    prompt: \"Root task number {i}\"\n").Append(Output);
        }

        for (var i = 0; i < 40; i++)
        {
            yaml.Append($"  - id: leaf{i}\n    needs: [root{i % 10}]\n    prompt: \"Leaf {i} builds on {{{{tasks.root{i % 10}.output.title}}}}\"\n").Append(Output);
        }

        return yaml.Append(extraTasks).ToString();
    }

    private const string Simulated = """
        providers:
          sim:
            type: simulated
            model: gpt-4o-mini
            seed: 11
            failure_rate: 0.2
            failures: [server_error, rate_limit, timeout, malformed_json, schema_violation]
            network_timeout: 30s
            models: { "*": { latency: 200ms, per_output_token: 1ms } }
        """;

    private static (RunReport Report, IReadOnlyDictionary<SimulatedFault, long> Injected) Run(string yaml)
    {
        var plan = Load.Yaml(yaml);
        var clock = new VirtualClock();
        using var providers = ProviderSetup.Create(plan, new ProviderOptions { Time = clock });
        var (report, _) = Sim.Run(plan, clock: clock, configure: o => o with { Executors = o.Executors.With(new PromptExecutor(providers)) });
        return (report, providers.InjectedFaults);
    }

    [Fact]
    public void Every_task_succeeds_despite_20_percent_transient_faults_of_every_kind()
    {
        var (report, injected) = Run(FiftyTasks(Simulated));

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(50, report.Tasks.Count(t => t.Status == TaskState.Succeeded));
        Assert.All([SimulatedFault.ServerError, SimulatedFault.RateLimit, SimulatedFault.Timeout, SimulatedFault.MalformedJson, SimulatedFault.SchemaViolation],
            kind => Assert.True(injected.GetValueOrDefault(kind) > 0, $"no {kind} was injected"));
    }

    [Fact]
    public void Retries_and_rate_limits_show_in_the_report_with_each_failed_attempt_error()
    {
        var (report, injected) = Run(FiftyTasks(Simulated));

        Assert.Equal(injected.Values.Sum(), report.Retries);
        Assert.Equal(injected[SimulatedFault.RateLimit], report.RateLimited);
        var errors = report.Tasks.SelectMany(t => t.AttemptLog).Where(a => a.Outcome != AttemptOutcome.Succeeded).Select(a => a.Error).ToList();
        Assert.Equal(report.Retries, errors.Count);
        Assert.Contains(errors, e => e == "simulated server error (HTTP 500)");
        Assert.Contains(errors, e => e == "simulated rate limit (HTTP 429)");
        Assert.Contains(errors, e => e == "timed out after 5.0s");
        Assert.Contains(errors, e => e!.StartsWith("response is not valid JSON", StringComparison.Ordinal));
        Assert.Contains(errors, e => e!.StartsWith("output does not match the schema", StringComparison.Ordinal));
        Assert.All(report.Tasks.Where(t => t.Attempts > 1), t => Assert.Equal(t.Attempts, t.AttemptLog.Length));
    }

    [Fact]
    public void A_permanent_400_fails_its_task_with_the_provider_message_and_skips_only_its_dependents()
    {
        const string Broken = """
              - id: broken
                prompt: "PERMANENTLY-BROKEN request"
              - id: after_broken
                needs: [broken, root1]
                prompt: "Uses {{tasks.broken.output}}"

            """;
        var providers = Simulated + "\n" + """
                script: [{ match: PERMANENTLY-BROKEN, fault: bad_request, times: 100 }]
            """;

        var (report, _) = Run(FiftyTasks(providers, Broken));

        var broken = report.Row("broken");
        Assert.Equal(TaskState.Failed, broken.Status);
        Assert.Equal(1, broken.Attempts);
        Assert.Equal("simulated bad request (HTTP 400)", broken.Error);
        Assert.Equal(TaskState.Skipped, report.Row("after_broken").Status);
        Assert.Equal("dependency 'broken' failed", report.Row("after_broken").Error);
        Assert.Equal(50, report.Tasks.Count(t => t.Status == TaskState.Succeeded));
        Assert.Equal(RunStatus.Failed, report.Status);
    }
}
