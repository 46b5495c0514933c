using System.Net;
using System.Text.Json;
using Fanout.Providers.Anthropic;
using Fanout.Providers.Pools;
using Fanout.Tests.Support;
using Microsoft.Extensions.AI;

namespace Fanout.Tests.Providers;

/// <summary>One Anthropic key's pipeline (the SDK's own <c>AsIChatClient</c> and Fanout's middleware) against a canned HTTP handler. No network.</summary>
public class AnthropicKeyClientTests
{
    private const string Key = "sk-ant-api03-TESTKEYabcdefghijklmnop";

    private const string Message = """
        {"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-20250514",
         "content":[{"type":"text","text":"Rivers"}],"stop_reason":"end_turn","stop_sequence":null,
         "usage":{"input_tokens":12,"output_tokens":5,"cache_read_input_tokens":4,"cache_creation_input_tokens":0}}
        """;

    [Fact]
    public async Task Message_maps_text_and_usage_and_sends_the_key_and_a_token_cap()
    {
        var handler = new CannedHttpHandler(HttpStatusCode.OK, Message);
        using var client = Client(handler);
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.System, "brief"), new ChatMessage(ChatRole.User, "title?")],
            new ChatOptions { ModelId = "claude-sonnet-4" });

        Assert.Equal("Rivers", response.Text);
        Assert.Equal(5, response.Usage!.OutputTokenCount);
        Assert.Equal((16L, 4L), (response.Usage.InputTokenCount ?? 0, response.Usage.CachedInputTokenCount ?? 0)); // input includes cache reads, as TokenUsage expects
        // The SDK sends the key as x-api-key or, since 13.x, as a bearer token.
        Assert.Equal(Key, handler.Headers.GetValueOrDefault("x-api-key") ?? handler.Headers["Authorization"].Replace("Bearer ", "", StringComparison.Ordinal));
        using var body = JsonDocument.Parse(handler.Body!);
        Assert.Equal("claude-sonnet-4", body.RootElement.GetProperty("model").GetString());
        Assert.Equal(AnthropicKeyClient.DefaultMaxOutputTokens, body.RootElement.GetProperty("max_tokens").GetInt32());
        Assert.Equal("https://anthropic.internal/v1/messages", handler.Uri!.ToString());
    }

    [Theory]
    [InlineData(400, false)]
    [InlineData(404, false)]
    [InlineData(500, true)]
    [InlineData(529, true)]
    public async Task Http_errors_map_to_failures_that_are_retryable_only_when_a_retry_can_help(int status, bool retryable)
    {
        using var client = Client(new CannedHttpHandler((HttpStatusCode)status, """{"type":"error","error":{"type":"x","message":"something is wrong"}}"""));
        var e = await Assert.ThrowsAnyAsync<TaskFailedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")], new ChatOptions { ModelId = "m" }));
        Assert.Equal(retryable, e.Retryable);
        // A permanent refusal names the key, so whoever reads the run knows which key to look at.
        Assert.Equal(retryable ? $"Anthropic HTTP {status}: something is wrong" : $"Anthropic HTTP {status} (key 'claude'): something is wrong", e.Message);
    }

    [Fact]
    public async Task Rate_limit_is_a_rate_limited_failure_and_is_not_retried_by_the_sdk()
    {
        var handler = new CannedHttpHandler(HttpStatusCode.TooManyRequests, """{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}""");
        using var client = Client(handler);
        await Assert.ThrowsAsync<RateLimitedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")], new ChatOptions { ModelId = "m" }));
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public async Task Unauthorized_is_a_final_key_rejection_naming_the_key_alias()
    {
        using var client = Client(new CannedHttpHandler(HttpStatusCode.Unauthorized, """{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"""));
        var e = await Assert.ThrowsAsync<KeyRejectedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")], new ChatOptions { ModelId = "m" }));
        Assert.False(e.Retryable);
        Assert.Equal("Anthropic HTTP 401 (key 'claude'): invalid x-api-key", e.Message);
    }

    [Fact]
    public async Task Error_messages_never_show_the_key()
    {
        var body = """{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key KEY"}}""".Replace("KEY", Key, StringComparison.Ordinal);
        using var client = Client(new CannedHttpHandler(HttpStatusCode.Unauthorized, body));
        var e = await Assert.ThrowsAnyAsync<TaskFailedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")], new ChatOptions { ModelId = "m" }));
        Assert.Contains("invalid x-api-key", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("TESTKEY", e.ToString(), StringComparison.Ordinal);
    }

    private static IChatClient Client(CannedHttpHandler handler) =>
        AnthropicKeyClient.Create(new KeyIdentity("claude", Key), new Uri("https://anthropic.internal"), null, headers: null, new HttpClient(handler));
}
