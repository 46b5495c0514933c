using Fanout.Providers;
using Fanout.Providers.Pools;
using static Fanout.Tests.Providers.ProviderSetupTests;

namespace Fanout.Tests.Pools;

public class PoolConfigTests
{
    private static readonly Dictionary<string, string> Env = new()
    {
        ["K1"] = "sk-pool-test-ONE",
        ["K2"] = "sk-pool-test-TWO",
        ["K3"] = "sk-pool-test-THREE",
    };

    private static ProviderOptions Options => new() { GetEnvironmentVariable = name => Env.GetValueOrDefault(name) };

    private static string Problems(string json) =>
        Assert.Throws<PlanException>(() => ProviderSetup.Create(Plan(Provider("llm", json)), Options)).Message;

    [Fact]
    public void Keys_make_a_pool_whose_aliases_are_reported_instead_of_the_keys()
    {
        using var set = ProviderSetup.Create(Plan(Provider("llm", """
            {"type":"openai","model":"gpt-4o-mini","routing":"round-robin","rpm":600,
             "keys":[{"alias":"one","api_key":"${K1}","tpm":60000},{"api_key":"${K2}","weight":2},{"alias":"three","api_key":"${K3}","base_url":"http://127.0.0.1:1/v1"}]}
            """)), Options);

        var pool = Assert.IsType<KeyPool>(set.Resolve("llm", null).Client);
        Assert.Equal(["one", "K2", "three"], pool.Aliases);
        Assert.Equal("one,K2,three", set.Providers.Single().Key);
        Assert.Single(set.Pools);
    }

    [Fact]
    public void A_key_whose_variable_is_unset_is_left_out_with_a_notice()
    {
        using var set = ProviderSetup.Create(Plan(Provider("llm", """
            {"type":"openai","model":"m","keys":[{"alias":"one","api_key":"${K1}"},{"alias":"gone","api_key":"${NOT_SET}"}]}
            """)), Options);

        Assert.Equal(["one"], Assert.IsType<KeyPool>(set.Resolve("llm", null).Client).Aliases);
        Assert.Equal("provider 'llm': NOT_SET not set — running with 1 of 2 keys", Assert.Single(set.Notices));
    }

    [Fact]
    public void An_unknown_key_field_is_a_located_error_with_a_suggestion()
    {
        var plan = Plan(Provider("llm", """{"type":"openai","keys":[{"api_key":"${K1}","rpn":5}]}"""));

        var e = Assert.Throws<PlanException>(() => ProviderSetup.Create(plan, Options));

        var problem = Assert.Single(e.Diagnostics);
        Assert.StartsWith("provider 'llm': unknown field 'keys[0].rpn' (did you mean 'rpm'?)", problem.Message, StringComparison.Ordinal);
        Assert.Equal(4, problem.Location!.Line);
    }

    [Theory]
    [InlineData("""{"type":"openai","routing":"fastest"}""", "'routing' must be one of least-loaded, round-robin, weighted, sticky, got 'fastest'")]
    [InlineData("""{"type":"openai","limits":"guess"}""", "'limits' must be declared or adaptive, got 'guess'")]
    [InlineData("""{"type":"openai","api_key":"${K1}","keys":[{"api_key":"${K2}"}]}""", "'api_key' and 'keys' cannot both be set")]
    [InlineData("""{"type":"openai","keys":[{"alias":"x","api_key":"${K1}"},{"alias":"x","api_key":"${K2}"}]}""", "alias 'x' is used by 2 keys")]
    [InlineData("""{"type":"openai","keys":[{"api_key":"${K1}","rpm":0}]}""", "'keys[0].rpm' must be a whole number of at least 1, got 0")]
    [InlineData("""{"type":"openai","keys":[{"alias":"x"}]}""", "'keys[0].api_key' is required")]
    [InlineData("""{"type":"openai","keys":[]}""", "'keys' must be a non-empty list")]
    [InlineData("""{"type":"openai","api_key":"${K1}","fallback":[{"provider":"bigger"}]}""", "fallback provider 'bigger' is not declared")]
    [InlineData("""{"type":"openai","api_key":"${K1}","fallback":[{"model":"m"}]}""", "'fallback[0].provider' is required")]
    public void Invalid_pool_settings_are_reported(string json, string expected) =>
        Assert.Contains(expected, Problems(json), StringComparison.Ordinal);

    [Fact]
    public void A_single_api_key_is_a_pool_of_one()
    {
        using var set = ProviderSetup.Create(Plan(Provider("llm", """{"type":"anthropic","api_key":"${K1}","model":"claude","concurrency":4}""")), Options);

        Assert.Equal(["K1"], Assert.IsType<KeyPool>(set.Resolve("llm", null).Client).Aliases);
        Assert.Equal(4, set.Pools.Single().Keys.Single().Concurrency);
    }
}
