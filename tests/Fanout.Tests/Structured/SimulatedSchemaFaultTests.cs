using System.Text.Json;
using Fanout.Providers;
using Fanout.Providers.Config;
using Fanout.Providers.Simulation;
using Microsoft.Extensions.AI;
using static Fanout.Tests.Providers.ProviderSetupTests;
using static Fanout.Tests.Providers.SimHelpers;

namespace Fanout.Tests.Structured;

/// <summary>The simulator's <c>schema_violation</c> fault and its deterministic <c>script</c>.</summary>
public class SimulatedSchemaFaultTests
{
    private const string Schema = """
        {"type":"object","required":["title","tags"],
         "properties":{"title":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}},"score":{"type":"integer"}}}
        """;

    private static readonly LatencyModel Instant = LatencyModel.Fixed(TimeSpan.Zero);

    private static List<ChatResponse> Calls(SimulationSettings settings, params (string Prompt, ChatOptions? Options)[] calls)
    {
        var (responses, _) = Timed(async clock =>
        {
            var client = new SimulatedChatClient(settings, clock);
            var result = new List<ChatResponse>();
            foreach (var (prompt, options) in calls)
            {
                result.Add(await client.GetResponseAsync(Ask(prompt), options));
            }

            return result;
        });
        return responses;
    }

    private static bool Valid(ChatResponse response) => CompiledSchema.Compile(Schema).IsValid(JsonDocument.Parse(response.Text).RootElement);

    [Fact]
    public void Schema_violation_fault_returns_json_that_breaks_the_requested_schema()
    {
        for (var seed = 0; seed < 20; seed++)
        {
            var settings = Settings(Instant, failureRate: 1, failures: SimulatedFault.SchemaViolation) with { Seed = seed };
            var response = Calls(settings, ($"question {seed}", Json(Schema))).Single();
            Assert.NotEmpty(CompiledSchema.Compile(Schema).Validate(JsonDocument.Parse(response.Text).RootElement));
        }
    }

    [Fact]
    public void Schema_violation_fault_leaves_answers_without_a_schema_alone()
    {
        var settings = Settings(Instant, failureRate: 1, failures: SimulatedFault.SchemaViolation);
        var (client, _) = Timed(async clock =>
        {
            var c = new SimulatedChatClient(settings, clock);
            await c.GetResponseAsync(Ask("text"));
            await c.GetResponseAsync(Ask("json"), Json());
            return c;
        });
        Assert.Empty(client.InjectedFaults);
    }

    [Fact]
    public void Script_faults_the_first_matching_call_only_then_answers_normally()
    {
        var settings = Settings(Instant) with { Script = [new ScriptedFault(SimulatedFault.SchemaViolation, "head")] };
        var responses = Calls(settings,
            ("write the body", Json(Schema)),
            ("write the head", Json(Schema)),
            ("write the head\n\nrepair note", Json(Schema)),
            ("write the head", Json(Schema)));

        Assert.Equal([true, false, true, true], responses.Select(Valid));
    }

    [Fact]
    public void Script_entries_are_used_in_order_each_for_its_number_of_times()
    {
        var settings = Settings(Instant) with
        {
            Script = [new ScriptedFault(SimulatedFault.ServerError, "a", Times: 2), new ScriptedFault(SimulatedFault.RateLimit)],
        };
        var (outcomes, _) = Timed(async clock =>
        {
            var client = new SimulatedChatClient(settings, clock);
            var result = new List<string>();
            foreach (var prompt in new[] { "a", "b", "a", "a", "b" })
            {
                try
                {
                    await client.GetResponseAsync(Ask(prompt));
                    result.Add("ok");
                }
                catch (RateLimitedException)
                {
                    result.Add("429");
                }
                catch (TaskFailedException)
                {
                    result.Add("500");
                }
            }

            return result;
        });

        Assert.Equal(["500", "429", "500", "ok", "ok"], outcomes);
    }

    [Fact]
    public void Script_is_read_from_the_simulate_settings()
    {
        var problems = new List<PlanDiagnostic>();
        var json = JsonDocument.Parse("""{"script":[{"match":"head","fault":"schema_violation"},{"fault":"server_error","times":3}]}""").RootElement;
        var settings = SimulationConfig.Read(new ConfigReader(json, "provider 'sim'", "", null, problems));

        Assert.Empty(problems);
        Assert.Equal([new ScriptedFault(SimulatedFault.SchemaViolation, "head"), new ScriptedFault(SimulatedFault.ServerError, null, 3)], settings.Script.ToArray());
    }

    [Fact]
    public void Script_problems_are_reported_with_their_entry_and_field()
    {
        var plan = Plan(Provider("sim", """
            {"type":"simulated","script":[{"match":"head","fault":"schema_violaton"},{"match":"x"},{"fault":"timeout","times":0},
                                          {"fault":"timeout","when":1},{"fault":"timeout","match":""},"oops"]}
            """));
        var e = Assert.Throws<PlanException>(() => ProviderSetup.Create(plan, new ProviderOptions { GetEnvironmentVariable = _ => null }));
        var messages = e.Diagnostics.Select(d => d.Message).ToList();

        Assert.Contains(messages, m => m.Contains("unknown failure kind 'schema_violaton' in 'script[0].fault' (did you mean 'schema_violation'?)", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("'script[1].fault' is required", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("'script[2].times' must be a whole number of at least 1, got 0", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("unknown field 'script[3].when'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("'script[4].match' must not be empty", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("'script[5]' must be a mapping, got string", StringComparison.Ordinal));
        Assert.Equal(6, messages.Count);
    }

    [Fact]
    public void Script_that_is_not_a_list_is_reported()
    {
        var plan = Plan(Provider("sim", """{"type":"simulated","script":{"fault":"timeout"}}"""));
        var e = Assert.Throws<PlanException>(() => ProviderSetup.Create(plan, new ProviderOptions { GetEnvironmentVariable = _ => null }));
        Assert.Contains("'script' must be a list of { match, fault, times } entries, got object", e.Message, StringComparison.Ordinal);
    }
}
