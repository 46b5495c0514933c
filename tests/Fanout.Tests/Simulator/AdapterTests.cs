using System.Text.Json;
using Fanout.Providers.OpenAI;
using Fanout.Providers.Pools;
using Fanout.Simulator;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.Tests.Simulator;

/// <summary>One OpenAI key's pipeline (the SDK through <c>AsIChatClient</c> and Fanout's middleware), end to end over HTTP against the simulator.</summary>
public class AdapterTests
{
    [Fact]
    public async Task OpenAI_adapter_gets_text_usage_and_schema_fitting_json()
    {
        await using var server = await SimulatorFixture.Start();
        using var client = OpenAIKeyClient.Create(new KeyIdentity("test", SimulatorFixture.Key), new Uri(server.Address, "v1"), "gpt-4o-mini");
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"],"additionalProperties":false}""").RootElement;

        var text = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "hello")], new ChatOptions { ModelId = "gpt-4o", MaxOutputTokens = 100 });
        var json = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "a number")],
            new ChatOptions { ModelId = "gpt-4o", ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "n") });

        Assert.False(string.IsNullOrWhiteSpace(text.Text));
        Assert.Equal("gpt-4o", text.ModelId);
        Assert.True(text.Usage!.InputTokenCount > 0);
        Assert.InRange(text.Usage.OutputTokenCount ?? 0, 1, 100);
        Assert.Equal(0, text.Usage.CachedInputTokenCount ?? 0);
        using var answer = JsonDocument.Parse(json.Text);
        Assert.Equal(JsonValueKind.Number, answer.RootElement.GetProperty("n").ValueKind);
    }

    [Fact]
    public async Task OpenAI_adapter_turns_a_429_into_RateLimitedException_with_the_servers_retry_after()
    {
        var time = new FakeTimeProvider();
        await using var server = await SimulatorFixture.Start(new SimulatorKey("a", SimulatorFixture.Key) { Rpm = 2 }, time);
        using var client = OpenAIKeyClient.Create(new KeyIdentity("test", SimulatorFixture.Key), new Uri(server.Address, "v1"), "gpt-4o-mini");

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "1")]);
        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "2")]);
        var e = await Assert.ThrowsAsync<RateLimitedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "3")]));

        Assert.Equal(TimeSpan.FromSeconds(30), e.RetryAfter);
        Assert.DoesNotContain(SimulatorFixture.Key, e.Message, StringComparison.Ordinal);
        time.Advance(e.RetryAfter!.Value);
        var after = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "3")]);
        Assert.False(string.IsNullOrEmpty(after.Text));
    }
}
