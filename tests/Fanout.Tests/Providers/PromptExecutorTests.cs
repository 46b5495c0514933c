using System.Text.Json;
using Fanout.Providers;
using Fanout.Providers.Simulation;
using Fanout.Tests.Support;
using Microsoft.Extensions.AI;
using static Fanout.Tests.Providers.ProviderSetupTests;

namespace Fanout.Tests.Providers;

public class PromptExecutorTests
{
    private const string OutlineSchema = """
        {"type":"object","required":["title","sections"],"additionalProperties":false,
         "properties":{"title":{"type":"string"},"sections":{"type":"array","minItems":2,"maxItems":3,"items":{"type":"string"}}}}
        """;

    private static TaskDefinition Prompt(string id, PromptBody body, params string[] needs) =>
        new() { Id = id, Body = body, Needs = [.. needs], Retry = RetryPolicy.Default with { Jitter = false, MaxAttempts = 5 } };

    private static (RunReport Report, List<RunEvent> Events) Run(PlanDefinition plan, IChatClientResolver resolver) =>
        Sim.Run(plan, configure: o => o with { Executors = o.Executors.With(new PromptExecutor(resolver)) });

    private static (RunReport Report, ProviderSet Set) RunWithProviders(PlanDefinition plan)
    {
        var clock = new Fanout.Time.VirtualClock();
        var set = ProviderSetup.Create(plan, new ProviderOptions { Time = clock, GetEnvironmentVariable = _ => null });
        var (report, _) = Sim.Run(plan, clock: clock, configure: o => o with { Executors = o.Executors.With(new PromptExecutor(set)) });
        return (report, set);
    }

    [Fact]
    public void Prompt_plan_runs_end_to_end_with_tokens_and_cost_in_the_report()
    {
        var plan = new PlanBuilder("article")
            .Configure(p => p with
            {
                Providers = [Provider("sim", """{"type":"simulated","model":"gpt-4o-mini","models":{"*":{"latency":"1s","per_output_token":"0ms"}}}""")],
            })
            .Add(Prompt("outline", new PromptBody { System = "You plan articles.", Prompt = "Outline an article about rivers.", Schema = JsonDocument.Parse(OutlineSchema).RootElement }))
            .Add(Prompt("intro", new PromptBody { Prompt = "Write the intro of '{{tasks.outline.output.title}}'." }, "outline"))
            .Add(Prompt("faq", new PromptBody { Prompt = "Write a FAQ for '{{tasks.outline.output.title}}'.", Model = "gpt-4o" }, "outline"))
            .Build();
        var (report, _) = RunWithProviders(plan);

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(2000, report.MakespanMs); // outline, then intro and faq in parallel: 1 s each
        var outline = report.Row("outline");
        Assert.Equal(JsonValueKind.Object, outline.Output!.Value.ValueKind);
        Assert.Empty(SchemaConformance.Check(OutlineSchema, System.Text.Json.Nodes.JsonNode.Parse(outline.Output.Value.GetRawText())));
        Assert.Equal(("sim", "gpt-4o-mini"), (outline.Provider, outline.Model));
        Assert.Equal("stop", outline.Details!.Value.GetProperty("finish_reason").GetString());

        var intro = report.Row("intro");
        Assert.Equal(JsonValueKind.String, intro.Output!.Value.ValueKind);
        var tokens = intro.Tokens!;
        Assert.True(tokens.Input > 0 && tokens.Output >= 149, $"{tokens}");
        Assert.Equal((tokens.Input * 0.15m + tokens.Output * 0.60m) / 1_000_000m, intro.CostUsd);
        Assert.Equal("gpt-4o", report.Row("faq").Model);
        Assert.Equal(report.Tasks.Sum(t => t.Tokens!.Input), report.Tokens.Input);
        Assert.True(report.CostUsd > 0);
    }

    [Fact]
    public void Malformed_json_is_retried_with_a_repair_note_quoting_the_error()
    {
        var client = new ScriptedChatClient("{\"title\": \"Rivers", "{\"title\": \"Rivers\"}");
        var plan = new PlanBuilder("p").Add(Prompt("t", new PromptBody { Prompt = "Give a title.", Output = OutputFormat.Json })).Build();
        var (report, _) = Run(plan, new FixedResolver(client));

        var row = report.Row("t");
        Assert.Equal(TaskState.Succeeded, row.Status);
        Assert.Equal(2, row.Attempts);
        Assert.Equal("Rivers", row.Output!.Value.GetProperty("title").GetString());
        Assert.DoesNotContain("could not be parsed", client.Prompts[0], StringComparison.Ordinal);
        Assert.Contains("Your previous answer could not be parsed (response is not valid JSON", client.Prompts[1], StringComparison.Ordinal);
        Assert.Equal(2 * ScriptedChatClient.OutputTokens, row.Tokens!.Output); // the failed attempt's tokens still count
    }

    [Fact]
    public void Simulated_malformed_json_is_repaired_by_retries()
    {
        var plan = new PlanBuilder("p")
            .Configure(p => p with
            {
                Providers = [Provider("sim", """{"type":"simulated","seed":2,"failure_rate":0.4,"failures":["malformed_json"],"models":{"*":{"latency":"100ms"}}}""")],
            });
        for (var i = 0; i < 20; i++)
        {
            plan.Add(Prompt($"t{i}", new PromptBody { Prompt = $"item {i}", Schema = JsonDocument.Parse(OutlineSchema).RootElement }));
        }

        var (report, set) = RunWithProviders(plan.Build());
        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.True(report.Retries > 0);
        Assert.Equal(report.Retries, set.InjectedFaults[SimulatedFault.MalformedJson]);
    }

    [Fact]
    public void Injected_server_errors_and_rate_limits_are_retried_until_every_task_succeeds()
    {
        var plan = new PlanBuilder("p")
            .Configure(p => p with
            {
                Providers = [Provider("sim", """{"type":"simulated","seed":5,"failure_rate":0.3,"failures":["server_error","rate_limit"],"models":{"*":{"latency":"200ms"}}}""")],
            });
        for (var i = 0; i < 30; i++)
        {
            plan.Add(Prompt($"t{i}", new PromptBody { Prompt = $"item {i}" }) with { Retry = new RetryPolicy { MaxAttempts = 8, Jitter = false } });
        }

        var (report, set) = RunWithProviders(plan.Build());
        Assert.Equal(RunStatus.Succeeded, report.Status);
        var faults = set.InjectedFaults;
        Assert.True(faults[SimulatedFault.ServerError] > 0 && faults[SimulatedFault.RateLimit] > 0);
        Assert.Equal(report.Retries, faults.Values.Sum());
    }

    [Fact]
    public void Json_in_a_markdown_fence_is_parsed()
    {
        var client = new ScriptedChatClient("```json\n{\"ok\": true}\n```");
        var plan = new PlanBuilder("p").Add(Prompt("t", new PromptBody { Prompt = "x", Output = OutputFormat.Json })).Build();
        var (report, _) = Run(plan, new FixedResolver(client));
        Assert.True(report.Row("t").Output!.Value.GetProperty("ok").GetBoolean());
    }

    [Fact]
    public void Options_carry_model_temperature_token_cap_and_schema()
    {
        var client = new ScriptedChatClient("""{"title":"t","sections":["a","b"]}""");
        var body = new PromptBody { Prompt = "x", Model = "m1", Temperature = 0.2, MaxTokens = 99, Schema = JsonDocument.Parse(OutlineSchema).RootElement };
        Run(new PlanBuilder("p").Add(Prompt("my-task", body)).Build(), new FixedResolver(client));

        var options = Assert.Single(client.Options)!;
        Assert.Equal("m1", options.ModelId);
        Assert.Equal(0.2f, options.Temperature);
        Assert.Equal(99, options.MaxOutputTokens);
        var format = Assert.IsType<ChatResponseFormatJson>(options.ResponseFormat);
        Assert.Equal("my-task", format.SchemaName);
        Assert.Equal("object", format.Schema!.Value.GetProperty("type").GetString());
    }

    [Fact]
    public void Text_prompt_asks_for_no_response_format_and_outputs_a_string()
    {
        var client = new ScriptedChatClient("plain words");
        var (report, _) = Run(new PlanBuilder("p").Add(Prompt("t", new PromptBody { Prompt = "x" })).Build(), new FixedResolver(client));
        Assert.Null(Assert.Single(client.Options)!.ResponseFormat);
        Assert.Equal("plain words", report.Row("t").Output!.Value.GetString());
    }

    [Fact]
    public void Template_error_fails_without_retrying()
    {
        var client = new ScriptedChatClient("unused");
        var plan = new PlanBuilder("p")
            .Task("a", (_, _) => ValueTask.FromResult<object?>(new { title = "x" }))
            .Add(Prompt("t", new PromptBody { Prompt = "About {{tasks.a.output.topic}}" }, "a"))
            .Build();
        var (report, _) = Run(plan, new FixedResolver(client));
        var row = report.Row("t");
        Assert.Equal(TaskState.Failed, row.Status);
        Assert.Equal(1, row.Attempts);
        Assert.StartsWith("prompt:", row.Error, StringComparison.Ordinal);
        Assert.Empty(client.Prompts);
    }

    [Fact]
    public void Unknown_provider_fails_without_retrying()
    {
        var set = ProviderSetup.Create(Plan(Provider("llm", """{"type":"simulated"}""")), new ProviderOptions());
        var plan = new PlanBuilder("p").Add(Prompt("t", new PromptBody { Prompt = "x", Provider = "lm" })).Build();
        var (report, _) = Run(plan, set);
        var row = report.Row("t");
        Assert.Equal((TaskState.Failed, 1), (row.Status, row.Attempts));
        Assert.Contains("did you mean 'llm'", row.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_defaults_choose_provider_and_model()
    {
        var client = new ScriptedChatClient("ok");
        var resolver = new FixedResolver(client);
        var plan = new PlanBuilder("p")
            .Configure(p => p with { Defaults = new PlanDefaults { Provider = "main", Model = "big" } })
            .Add(Prompt("t", new PromptBody { Prompt = "x" }))
            .Build();
        Run(plan, resolver);
        Assert.Equal(("main", "big"), Assert.Single(resolver.Asked));
    }

    [Fact]
    public void Fence_stripping_keeps_unfenced_text()
    {
        Assert.Equal("{\"a\":1}", PromptExecutor.StripFences("  {\"a\":1} "));
        Assert.Equal("[1]", PromptExecutor.StripFences("```\n[1]\n```"));
    }
}
