using System.Text.Json;
using Fanout.Plans;
using Fanout.Providers;
using Fanout.Tests.Plans;
using Fanout.Tests.Support;
using Fanout.Time;

namespace Fanout.Tests.Seo;

/// <summary>examples/seo-optimizer/plan.yaml end to end on the simulated provider in virtual time (no key, no network).</summary>
public class SeoExampleTests
{
    private static readonly string PlanPath = Path.Combine(Fixtures.RepoRoot, "examples", "seo-optimizer", "plan.yaml");

    private static readonly string[] V1Fields = ["head", "blocks", "links", "alts", "schema", "confidence", "notes"];

    private static RunReport Run(PlanDefinition plan)
    {
        var clock = new VirtualClock();
        var providers = ProviderSetup.Create(plan, new ProviderOptions { Time = clock, GetEnvironmentVariable = _ => null });
        var inputs = InputResolver.Resolve(plan, new Dictionary<string, JsonElement>());
        var (report, _) = Sim.Run(plan, clock: clock,
            configure: o => o with { Inputs = inputs, Executors = o.Executors.With(new PromptExecutor(providers)) });
        return report;
    }

    /// <summary>The example with its images prompt sent to a provider that answers every call with HTTP 400.</summary>
    private static PlanDefinition WithImagesFailing()
    {
        var text = File.ReadAllText(PlanPath);
        Assert.Contains("  - id: images\n", text, StringComparison.Ordinal);
        text = text
            .Replace("  - id: images\n", "  - id: images\n    provider: broken\n", StringComparison.Ordinal)
            .Replace("providers:\n", "providers:\n  broken: { type: simulated, failure_rate: 1, failures: bad_request }\n", StringComparison.Ordinal);
        return PlanLoader.Parse(text, "plan.yaml", Path.GetDirectoryName(PlanPath));
    }

    private static JsonElement Result(RunReport report) => report.Row("result").Output!.Value;

    [Fact]
    public void Example_runs_its_five_prompts_in_parallel_and_returns_exactly_the_V1_fields_plus_v2_metadata()
    {
        var report = Run(PlanLoader.Load(PlanPath));

        Assert.Equal(RunStatus.Succeeded, report.Status);
        var result = Result(report);
        Assert.Equal([.. V1Fields, "v2_metadata"], result.EnumerateObject().Select(p => p.Name));
        foreach (var field in new[] { "title", "description", "canonical" })
        {
            Assert.Equal(JsonValueKind.String, result.GetProperty("head").GetProperty(field).ValueKind);
        }

        Assert.Equal(report.Row("links").Output!.Value.GetProperty("links").GetArrayLength(), result.GetProperty("links").GetArrayLength());
        Assert.Equal(3, result.GetProperty("alts").GetArrayLength());
        Assert.Equal("https://schema.org", result.GetProperty("schema").GetProperty("@context").GetString());

        var meta = result.GetProperty("v2_metadata");
        Assert.Equal(5, meta.GetProperty("prompt_count").GetInt32());
        Assert.Equal(5, meta.GetProperty("successful_prompts").GetInt32());
        string[] prompts = ["head", "links", "content", "images", "schema"];
        Assert.Equal(prompts.Sum(p => report.Row(p).Tokens!.Input + report.Row(p).Tokens!.Output), meta.GetProperty("total_tokens").GetInt64());
        Assert.Equal(Math.Round(prompts.Sum(p => (report.Row(p).FinishedAt!.Value - report.Row(p).StartedAt!.Value).TotalMilliseconds)),
            meta.GetProperty("total_processing_time").GetInt64());

        // In parallel: the wall time is the slowest prompt, far below the sum, and the whole run takes 2-4 s.
        var wall = meta.GetProperty("wall_time_ms").GetInt64();
        Assert.Equal(Math.Round(prompts.Max(p => report.EndMs(p)) - prompts.Min(p => report.StartMs(p))), wall);
        Assert.True(wall < meta.GetProperty("total_processing_time").GetInt64() / 2, $"wall {wall} ms");
        Assert.InRange(report.MakespanMs, 2000, 4000);
    }

    [Fact]
    public void Example_with_one_prompt_failing_still_returns_with_the_failure_in_notes()
    {
        var report = Run(WithImagesFailing());

        Assert.Equal(TaskState.Failed, report.Row("images").Status);
        Assert.Equal(RunStatus.Succeeded, report.Status); // the prompts are optional: a failed one is a note, as in the seed
        Assert.Equal(TaskState.Succeeded, report.Row("result").Status);
        var result = Result(report);
        Assert.Equal([.. V1Fields, "v2_metadata"], result.EnumerateObject().Select(p => p.Name));
        var failureNotes = result.GetProperty("notes").EnumerateArray().Select(n => n.GetString()!).Where(n => n.Contains("prompt failed", StringComparison.Ordinal)).ToList();
        Assert.Equal($"images prompt failed: {report.Row("images").Error}", Assert.Single(failureNotes));
        Assert.Contains("HTTP 400", failureNotes[0], StringComparison.Ordinal);
        Assert.Equal(0, result.GetProperty("alts").GetArrayLength());
        Assert.Equal(4, result.GetProperty("v2_metadata").GetProperty("successful_prompts").GetInt32());
        Assert.Equal(5, result.GetProperty("v2_metadata").GetProperty("prompt_count").GetInt32());

        string[] succeeded = ["head", "links", "content", "schema"];
        var mean = succeeded.Average(p => report.Row(p).Output!.Value.GetProperty("confidence").GetDouble());
        Assert.Equal(mean, result.GetProperty("confidence").GetDouble(), 12);
    }
}
