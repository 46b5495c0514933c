using System.ClientModel;
using System.Net;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Fanout.Simulator;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Chat;

namespace Fanout.Tests.Simulator;

/// <summary>The simulator's limits follow the shared bucket rule: refunds at the end, retry-after as the time until
/// admission, and a request no wait can admit refused as too large. Over real HTTP with the official SDKs.</summary>
public class BucketRuleTests
{
    [Fact]
    public async Task After_a_refund_the_retry_after_is_the_time_until_the_bucket_admits_the_request()
    {
        // 6,000 TPM: 100 tokens a second. The first request reserves 5,000 of output and uses 20–40: the rest comes back.
        var time = new FakeTimeProvider();
        await using var server = await SimulatorFixture.Start(new SimulatorKey("a", SimulatorFixture.Key) { Tpm = 6_000 }, time);
        var client = SimulatorFixture.OpenAI(server);
        await client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 5_000 });

        var large = new ChatCompletionOptions { MaxOutputTokenCount = 5_990 };
        var refused = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], large));
        var retryAfter = TimeSpan.FromMilliseconds(long.Parse(Header(refused, "retry-after-ms"), System.Globalization.CultureInfo.InvariantCulture));

        // Without the refund the key would be 5,000 in debt (50 s); with it, well under a second.
        Assert.Equal(429, refused.Status);
        Assert.InRange(retryAfter, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
        time.Advance(retryAfter - TimeSpan.FromMilliseconds(20));
        Assert.Equal(429, (await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")], large))).Status);
        time.Advance(TimeSpan.FromMilliseconds(20));
        await client.CompleteChatAsync([new UserChatMessage("hi")], large);
    }

    [Fact]
    public void The_retry_after_of_a_key_in_debt_is_never_longer_than_its_bucket_takes_to_fill()
    {
        var limiter = new KeyLimiter(new SimulatorKey("a", "k") { Otpm = 8_000 }, new FakeTimeProvider());
        Assert.True(limiter.TryAdmit(0, 100).Admitted);
        limiter.Settle(100, 30_000); // produced far more than reserved: 22,000 in debt

        var refused = limiter.TryAdmit(0, 100);

        Assert.False(refused.Admitted);
        Assert.Equal(TimeSpan.FromMinutes(1), refused.RetryAfter);
    }

    [Fact]
    public async Task An_OpenAI_request_larger_than_the_keys_limit_is_a_400_not_a_429()
    {
        await using var server = await SimulatorFixture.Start(new SimulatorKey("a", SimulatorFixture.Key) { Tpm = 8_000 }, new FakeTimeProvider());
        var client = SimulatorFixture.OpenAI(server);

        var e = await Assert.ThrowsAsync<ClientResultException>(() =>
            client.CompleteChatAsync([new UserChatMessage("hi")], new ChatCompletionOptions { MaxOutputTokenCount = 128_000 }));

        Assert.Equal(400, e.Status);
        Assert.Contains("\"code\":\"request_too_large\"", e.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
        Assert.Contains("tokens per minute limit 8000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_Anthropic_request_whose_max_tokens_exceeds_the_output_limit_is_a_413()
    {
        await using var server = await SimulatorFixture.Start(new SimulatorKey("a", SimulatorFixture.Key) { Otpm = 8_000 }, new FakeTimeProvider());
        using var client = new AnthropicClient(new ClientOptions { ApiKey = SimulatorFixture.Key, BaseUrl = server.Address.ToString().TrimEnd('/'), MaxRetries = 0 })
            .AsIChatClient("claude-sonnet-4", 128_000);

        var e = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => client.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, "hi")]));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, e.StatusCode);
        Assert.Contains("request_too_large", e.Message, StringComparison.Ordinal);
    }

    private static string Header(ClientResultException e, string name) =>
        e.GetRawResponse()!.Headers.TryGetValue(name, out var value) ? value! : throw new Xunit.Sdk.XunitException($"no header {name}");
}
