using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Fanout.Storage;
using Fanout.Tests.Support;

namespace Fanout.Tests.Reporting;

/// <summary>run.json, the journal's events and stored results are written with source-generated metadata, and write
/// exactly what reflection would.</summary>
public sealed class GeneratedJsonTests
{
    private static readonly JsonSerializerOptions Reflection = new(RunReport.JsonOptions) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    private static (RunReport Report, List<RunEvent> Events) SampleRun()
    {
        var plan = new PlanBuilder("gen")
            .Add(Sim.Def("a", Sim.Flaky(1, 10)) with { Retry = new RetryPolicy { MaxAttempts = 2, Jitter = false } })
            .Task("b", Sim.Work(10, "out"), "a")
            .Build();
        return Sim.Run(plan, configure: o => o with { Store = new InMemoryRunStore() });
    }

    [Fact]
    public void The_report_and_every_event_type_come_from_the_generated_context()
    {
        Assert.Same(ReportJson.Default, RunReport.JsonOptions.GetTypeInfo(typeof(RunReport)).OriginatingResolver);
        foreach (var type in typeof(RunEvent).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(RunEvent)) && !t.IsAbstract))
        {
            Assert.Same(ReportJson.Default, RunReport.JsonOptions.GetTypeInfo(type).OriginatingResolver);
        }
    }

    [Fact]
    public void Run_json_and_events_are_what_reflection_would_write()
    {
        var (report, events) = SampleRun();

        Assert.Equal(JsonSerializer.Serialize(report, Reflection), report.ToJson());
        Assert.All(events, e => Assert.Equal(JsonSerializer.Serialize(e, e.GetType(), Reflection), JsonSerializer.Serialize(e, RunReport.JsonOptions.GetTypeInfo(e.GetType()))));
        Assert.Equal(report.ToJson(), RunReport.FromJson(report.ToJson()).ToJson());
    }

    [Fact]
    public void A_stored_result_reads_back_as_it_was_written()
    {
        var result = TaskResult.FromValue(new { text = "hi", n = 2 }) with { Tokens = new TokenUsage(3, 4, 0), CostUsd = 0.5m, Provider = "sim", Model = "m", Key = "k1" };

        var back = StoredResult.Deserialize(StoredResult.Serialize(result));

        Assert.Equal(result.Output.GetRawText(), back.Output.GetRawText());
        Assert.Equal((result.Tokens, result.CostUsd, result.Provider, result.Model, result.Key), (back.Tokens, back.CostUsd, back.Provider, back.Model, back.Key));
    }
}
