using System.Text.Json;
using Fanout.Providers;
using Fanout.Providers.Pricing;
using Fanout.Providers.Simulation;
using Microsoft.Extensions.AI;

namespace Fanout.Tests.Providers;

public class ProviderSetupTests
{
    private const string Secret = "sk-test-SECRETVALUE-1234567890";
    private static readonly SourceLocation At = new("plan.yaml", 4, 3);

    internal static ProviderDefinition Provider(string name, string json)
    {
        var config = JsonDocument.Parse(json).RootElement.Clone();
        return new ProviderDefinition { Name = name, Type = config.GetProperty("type").GetString()!, Config = config, Location = At };
    }

    internal static PlanDefinition Plan(params ProviderDefinition[] providers) => new() { Name = "p", Providers = [.. providers] };

    private static ProviderOptions Env(params (string Name, string Value)[] variables) => new()
    {
        GetEnvironmentVariable = name => variables.FirstOrDefault(v => v.Name == name).Value,
    };

    [Fact]
    public void Plan_without_providers_gets_the_built_in_simulator()
    {
        var set = ProviderSetup.Create(Plan(), Env());
        var target = set.Resolve(null, null);
        Assert.Equal("simulated", target.Provider);
        Assert.Equal("gpt-4o-mini", target.Model);
        Assert.IsType<SimulatedChatClient>(target.Client);
        Assert.Equal(0.15m, target.Price!.InputPerMillion);
        Assert.Empty(set.Notices);
    }

    [Fact]
    public void The_only_provider_is_the_default()
    {
        var set = ProviderSetup.Create(Plan(Provider("sim", """{"type":"simulated","model":"gpt-4o"}""")), Env());
        var target = set.Resolve(null, null);
        Assert.Equal(("sim", "gpt-4o"), (target.Provider, target.Model));
    }

    [Fact]
    public void Several_providers_without_a_default_need_a_name()
    {
        var set = ProviderSetup.Create(Plan(Provider("a", """{"type":"simulated"}"""), Provider("b", """{"type":"simulated"}""")), Env());
        var e = Assert.Throws<PlanException>(() => set.Resolve(null, null));
        Assert.Contains("several providers", e.Message, StringComparison.Ordinal);
        Assert.Equal("b", set.Resolve("b", "m").Provider);
    }

    [Fact]
    public void Unknown_provider_name_suggests_the_nearest()
    {
        var set = ProviderSetup.Create(Plan(Provider("openai_main", """{"type":"simulated"}""")), Env());
        var e = Assert.Throws<PlanException>(() => set.Resolve("openai_mian", null));
        Assert.Contains("did you mean 'openai_main'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Task_naming_an_undeclared_provider_is_a_plan_error()
    {
        var plan = Plan(Provider("llm", """{"type":"simulated"}""")) with
        {
            Tasks = [new TaskDefinition { Id = "t", Body = new PromptBody { Prompt = "hi", Provider = "lmm" } }],
        };
        var e = Assert.Throws<PlanException>(() => ProviderSetup.Create(plan, Env()));
        Assert.Contains("task 't': provider 'lmm' is not declared (did you mean 'llm'?)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Openai_without_a_key_falls_back_to_the_simulator_with_a_notice()
    {
        var set = ProviderSetup.Create(Plan(Provider("llm", """{"type":"openai","api_key":"${OPENAI_API_KEY}","model":"gpt-4o-mini"}""")), Env());
        Assert.Equal(
            "provider 'llm' (openai): OPENAI_API_KEY is not set — using the built-in simulated provider (no network, synthetic output)",
            Assert.Single(set.Notices));
        Assert.IsType<SimulatedChatClient>(set.Resolve("llm", null).Client);
        Assert.True(Assert.Single(set.Providers).Simulated);
    }

    [Fact]
    public void Openai_key_defaults_to_OPENAI_API_KEY()
    {
        var set = ProviderSetup.Create(Plan(Provider("llm", """{"type":"openai","model":"gpt-4o"}""")), Env(("OPENAI_API_KEY", Secret)));
        var target = set.Resolve("llm", null);
        Assert.Equal(["OPENAI_API_KEY"], Assert.IsType<Fanout.Providers.Pools.KeyPool>(target.Client).Aliases);
        Assert.Equal("OPENAI_API_KEY", target.Key);
        Assert.Empty(set.Notices);
    }

    [Fact]
    public void Key_value_never_appears_in_notices_errors_or_targets()
    {
        var options = Env(("MY_KEY", Secret), ("ANTHROPIC_API_KEY", Secret));
        var plan = Plan(
            Provider("a", """{"type":"openai","api_key":"${MY_KEY}","model":"gpt-4o","base_url":"not a url"}"""),
            Provider("b", """{"type":"anthropic","model":"claude-sonnet-4","api_kee":"x"}"""));
        var error = Assert.Throws<PlanException>(() => ProviderSetup.Create(plan, options));
        Assert.DoesNotContain("SECRETVALUE", error.ToString(), StringComparison.Ordinal);

        var valid = Plan(
            Provider("a", """{"type":"openai","api_key":"${MY_KEY}","model":"gpt-4o"}"""),
            Provider("b", """{"type":"anthropic","model":"claude-sonnet-4"}"""));
        var set = ProviderSetup.Create(valid, options);
        var seen = string.Join("\n", set.Notices) + JsonSerializer.Serialize(set.Providers)
            + set.Resolve("a", null) + set.Resolve("b", null);
        Assert.Equal(["ANTHROPIC_API_KEY"], Assert.IsType<Fanout.Providers.Pools.KeyPool>(set.Resolve("b", null).Client).Aliases);
        Assert.Equal("ANTHROPIC_API_KEY", set.Resolve("b", null).Key);
        Assert.DoesNotContain("SECRETVALUE", seen, StringComparison.Ordinal);
        Assert.Contains("MY_KEY", seen, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_written_inline_gets_a_warning_that_does_not_repeat_it()
    {
        var set = ProviderSetup.Create(Plan(Provider("llm", $$"""{"type":"openai","api_key":"{{Secret}}","model":"gpt-4o"}""")), Env());
        var notice = Assert.Single(set.Notices);
        Assert.Contains("written in the plan", notice, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRETVALUE", notice, StringComparison.Ordinal);
        Assert.Equal("inline", set.Resolve("llm", null).Key);
    }

    [Fact]
    public void Simulate_all_simulates_every_provider_with_one_notice()
    {
        var plan = Plan(
            Provider("a", """{"type":"openai","model":"gpt-4o","simulate":{"models":{"*":{"latency":"2s"}}}}"""),
            Provider("b", """{"type":"anthropic","model":"claude-sonnet-4"}"""));
        var set = ProviderSetup.Create(plan, Env(("OPENAI_API_KEY", Secret), ("ANTHROPIC_API_KEY", Secret)) with { SimulateAll = true });
        Assert.All(set.Providers, p => Assert.True(p.Simulated));
        Assert.Contains("simulating every provider", Assert.Single(set.Notices), StringComparison.Ordinal);
        var client = Assert.IsType<SimulatedChatClient>(set.Resolve("a", null).Client);
        Assert.Equal(LatencyModel.Fixed(TimeSpan.FromSeconds(2)), client.Settings.For("gpt-4o").Latency);
    }

    [Fact]
    public void Simulated_settings_are_read_from_the_entry()
    {
        var set = ProviderSetup.Create(Plan(Provider("sim", """
            {"type":"simulated","model":"gpt-4o-mini","seed":"3","failure_rate":0.25,"failures":["rate_limit","malformed_json"],
             "network_timeout":"30s",
             "models":{
               "*":{"latency":"800ms","per_output_token":"2ms","output_tokens":[150,600]},
               "gpt-image-1":{"latency":{"uniform":["3s","5s"]}},
               "gpt-4o":{"latency":{"lognormal":{"median":"2s","sigma":0.3}},"per_output_token":"4ms"},
               "o4-mini":{"latency":{"fixed":"1.5s"}}}}
            """)), Env());
        var settings = Assert.IsType<SimulatedChatClient>(set.Resolve(null, null).Client).Settings;
        Assert.Equal(3, settings.Seed);
        Assert.Equal(0.25, settings.FailureRate);
        Assert.Equal([SimulatedFault.RateLimit, SimulatedFault.MalformedJson], settings.Failures.ToArray());
        Assert.Equal(TimeSpan.FromSeconds(30), settings.NetworkTimeout);
        Assert.Equal(LatencyModel.Fixed(TimeSpan.FromMilliseconds(800)), settings.For("anything").Latency);
        Assert.Equal((150, 600), settings.For("anything").OutputTokens);
        Assert.Equal(LatencyModel.Uniform(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5)), settings.For("gpt-image-1").Latency);
        Assert.Equal(TimeSpan.FromMilliseconds(2), settings.For("gpt-image-1").PerOutputToken);
        Assert.Equal(LatencyModel.LogNormal(TimeSpan.FromSeconds(2), 0.3), settings.For("gpt-4o").Latency);
        Assert.Equal(TimeSpan.FromMilliseconds(4), settings.For("gpt-4o").PerOutputToken);
        Assert.Equal(LatencyModel.Fixed(TimeSpan.FromSeconds(1.5)), settings.For("o4-mini").Latency);
    }

    [Fact]
    public void Config_errors_are_all_reported_with_the_entry_location()
    {
        var plan = Plan(
            Provider("x", """{"type":"opena"}"""),
            Provider("y", """
                {"type":"simulated","failure_rat":0.1,"failures":["server_eror"],"failure_rate":2,
                 "models":{"*":{"latency":"fast","per_output_token":"1ms"},"m":{"latency":{"uniform":["5s","1s"]}},"n":{"latency":{"gaussian":"1s"}}}}
                """));
        var e = Assert.Throws<PlanException>(() => ProviderSetup.Create(plan, Env()));
        var messages = e.Diagnostics.Select(d => d.Message).ToList();
        Assert.All(e.Diagnostics, d => Assert.Equal(At, d.Location));
        Assert.Contains(messages, m => m.Contains("unknown type 'opena' (did you mean 'openai'?)", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("unknown field 'failure_rat' (did you mean 'failure_rate'?)", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("unknown failure kind 'server_eror'", StringComparison.Ordinal) && m.Contains("did you mean 'server_error'", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("'failure_rate' must be between 0 and 1", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("'models.*.latency' must be a duration", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("max 1.0s is below min 5.0s", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("unknown field 'models.n.latency.gaussian'", StringComparison.Ordinal));
        Assert.Contains("plan.yaml:4:3", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_field_of_a_remote_provider_is_an_error()
    {
        var e = Assert.Throws<PlanException>(() => ProviderSetup.Create(Plan(Provider("llm", """{"type":"openai","base_ulr":"http://x"}""")), Env()));
        Assert.Contains("unknown field 'base_ulr' (did you mean 'base_url'?)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_pricing_overrides_the_table()
    {
        var set = ProviderSetup.Create(Plan(Provider("sim", """
            {"type":"simulated","model":"gpt-4o-mini","pricing":{"gpt-4o-mini":{"input":1,"output":2},"house-model":{"input":0.5,"output":0.5,"cached_input":0.1}}}
            """)), Env());
        Assert.Equal(new ModelPrice(1, 2, 1) { BatchMultiplier = 0.5m }, set.Resolve(null, null).Price);
        Assert.Equal(new ModelPrice(0.5m, 0.5m, 0.1m) { BatchMultiplier = 0.5m }, set.Resolve(null, "house-model").Price);
        Assert.Equal(2.50m, set.Resolve(null, "gpt-4o").Price!.InputPerMillion);
    }

    [Fact]
    public void Pricing_table_is_dated_and_prices_dated_model_versions_by_their_base_name()
    {
        var table = PricingTable.BuiltIn;
        Assert.NotNull(table.AsOf);
        Assert.Equal(table.Find("gpt-4o"), table.Find("gpt-4o-2024-08-06"));
        Assert.Equal(table.Find("claude-sonnet-4"), table.Find("claude-sonnet-4-20250514"));
        Assert.Null(table.Find("gpt-4o-turbo-preview"));
        Assert.Equal(0.60m, table.Find("gpt-4o-mini")!.OutputPerMillion);
    }

    [Fact]
    public void Defaults_provider_must_be_declared()
    {
        var plan = Plan(Provider("llm", """{"type":"simulated"}""")) with { Defaults = new PlanDefaults { Provider = "lm" } };
        var e = Assert.Throws<PlanException>(() => ProviderSetup.Create(plan, Env()));
        Assert.Contains("defaults.provider 'lm' is not declared (did you mean 'llm'?)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Injected_faults_are_summed_over_simulated_providers()
    {
        var set = ProviderSetup.Create(Plan(Provider("sim", """{"type":"simulated","failure_rate":1,"failures":["bad_request"]}""")), Env());
        Assert.ThrowsAny<TaskFailedException>(() => set.Resolve(null, "m").Client.GetResponseAsync("hi").GetAwaiter().GetResult());
        Assert.Equal(1, set.InjectedFaults[SimulatedFault.BadRequest]);
    }
}
