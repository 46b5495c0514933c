using System.Net;
using System.Text.Json;
using Fanout.Providers.OpenAI;
using Fanout.Providers.Pools;
using Fanout.Tests.Support;
using Microsoft.Extensions.AI;

namespace Fanout.Tests.Providers;

/// <summary>
/// One OpenAI key's pipeline (the SDK through <c>AsIChatClient</c> and Fanout's middleware) against a canned HTTP handler:
/// what is sent, what comes back, what errors become. No network.
/// </summary>
public class OpenAIKeyClientTests
{
    private const string Key = "sk-proj-TESTKEYabcdefghijklmnop";

    private const string Completion = """
        {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini-2024-07-18",
         "choices":[{"index":0,"message":{"role":"assistant","content":"{\"title\":\"Rivers\"}"},"finish_reason":"stop"}],
         "usage":{"prompt_tokens":120,"completion_tokens":30,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":100}}}
        """;

    [Fact]
    public async Task Completion_maps_text_usage_with_cached_tokens_and_finish_reason()
    {
        var handler = new CannedHttpHandler(HttpStatusCode.OK, Completion);
        using var client = Client(handler);
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "title?")], new ChatOptions { ModelId = "gpt-4o-mini" });

        Assert.Equal("{\"title\":\"Rivers\"}", response.Text);
        Assert.Equal((120L, 30L, 100L), (response.Usage!.InputTokenCount!.Value, response.Usage.OutputTokenCount!.Value, response.Usage.CachedInputTokenCount!.Value));
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal("gpt-4o-mini-2024-07-18", response.ModelId);
        Assert.Equal("Bearer " + Key, handler.Headers["Authorization"]);
    }

    [Fact]
    public async Task Request_carries_messages_model_temperature_token_cap_and_json_schema()
    {
        var handler = new CannedHttpHandler(HttpStatusCode.OK, Completion);
        using var client = Client(handler);
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"title":{"type":"string"}}}""").RootElement;
        await client.GetResponseAsync(
            [new ChatMessage(ChatRole.System, "be brief"), new ChatMessage(ChatRole.User, "title?")],
            new ChatOptions { ModelId = "gpt-4o", Temperature = 0.5f, MaxOutputTokens = 64, ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "outline") });

        using var body = JsonDocument.Parse(handler.Body!);
        var root = body.RootElement;
        Assert.Equal("gpt-4o", root.GetProperty("model").GetString());
        Assert.Equal(0.5, root.GetProperty("temperature").GetDouble(), 3);
        Assert.Equal(64, root.GetProperty("max_completion_tokens").GetInt32());
        Assert.Equal(["system", "user"], root.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
        var format = root.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal("outline", format.GetProperty("json_schema").GetProperty("name").GetString());
        Assert.Equal("object", format.GetProperty("json_schema").GetProperty("schema").GetProperty("type").GetString());
        Assert.EndsWith("/chat/completions", handler.Uri!.AbsolutePath, StringComparison.Ordinal);
        Assert.Equal("llm.internal", handler.Uri.Host);
    }

    [Fact]
    public async Task Json_mode_adds_a_json_instruction_when_no_message_mentions_json()
    {
        var handler = new CannedHttpHandler(HttpStatusCode.OK, Completion);
        using var client = Client(handler);
        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "title?")], new ChatOptions { ResponseFormat = ChatResponseFormat.Json });
        using var body = JsonDocument.Parse(handler.Body!);
        Assert.Equal("json_object", body.RootElement.GetProperty("response_format").GetProperty("type").GetString());
        Assert.Contains("JSON", body.RootElement.GetProperty("messages")[0].GetProperty("content").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_schema_is_sent_as_written_not_rewritten_for_strict_mode()
    {
        var handler = new CannedHttpHandler(HttpStatusCode.OK, Completion);
        using var client = Client(handler);
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"title":{"type":"string"},"extra":{"type":"object"}}}""").RootElement;
        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "title?")], new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "outline") });

        using var body = JsonDocument.Parse(handler.Body!);
        var sent = body.RootElement.GetProperty("response_format").GetProperty("json_schema");
        Assert.True(JsonElement.DeepEquals(schema, sent.GetProperty("schema")), sent.GetProperty("schema").GetRawText());
        Assert.False(sent.TryGetProperty("strict", out _));
    }

    [Fact]
    public async Task Json_mode_adds_no_instruction_when_a_message_mentions_json()
    {
        var handler = new CannedHttpHandler(HttpStatusCode.OK, Completion);
        using var client = Client(handler);
        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Answer in JSON: title?")], new ChatOptions { ResponseFormat = ChatResponseFormat.Json });
        using var body = JsonDocument.Parse(handler.Body!);
        Assert.Equal(["user"], body.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("role").GetString()));
    }

    [Fact]
    public async Task Every_response_reports_its_status_and_rate_limit_headers_to_the_keys_sink()
    {
        var sink = new RateHeaderSink();
        var seen = new List<(int Status, string? Remaining)>();
        sink.Listen((status, header, _) => seen.Add((status, header("x-ratelimit-remaining-requests"))), TimeProvider.System);
        using var client = Client(new CannedHttpHandler(HttpStatusCode.TooManyRequests, """{"error":{"message":"slow down"}}""", ("x-ratelimit-remaining-requests", "0")), sink);

        await Assert.ThrowsAsync<RateLimitedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")]));

        Assert.Equal([(429, "0")], seen);
    }

    [Theory]
    [InlineData(400, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    [InlineData(408, true)]
    [InlineData(409, true)]
    [InlineData(500, true)]
    [InlineData(503, true)]
    public async Task Http_errors_map_to_failures_that_are_retryable_only_when_a_retry_can_help(int status, bool retryable)
    {
        using var client = Client(new CannedHttpHandler((HttpStatusCode)status, """{"error":{"message":"something is wrong","type":"x"}}"""));
        var e = await Assert.ThrowsAnyAsync<TaskFailedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")]));
        Assert.Equal(retryable, e.Retryable);
        // A permanent refusal names the key, so whoever reads the run knows which key to look at.
        Assert.Equal(retryable ? $"OpenAI HTTP {status}: something is wrong" : $"OpenAI HTTP {status} (key 'main'): something is wrong", e.Message);
    }

    [Theory]
    [InlineData(409, "false", false)]
    [InlineData(500, "false", false)]
    [InlineData(418, "true", true)]
    [InlineData(400, "true", false)]
    public async Task The_providers_should_retry_header_decides_except_for_refusals_of_the_request(int status, string header, bool retryable)
    {
        using var client = Client(new CannedHttpHandler((HttpStatusCode)status, """{"error":{"message":"something is wrong","type":"x"}}""", ("x-should-retry", header)));
        var e = await Assert.ThrowsAnyAsync<TaskFailedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")]));
        Assert.Equal(retryable, e.Retryable);
    }

    [Fact]
    public async Task Rate_limit_is_a_rate_limited_failure_with_the_servers_retry_after()
    {
        var handler = new CannedHttpHandler(HttpStatusCode.TooManyRequests, """{"error":{"message":"Rate limit reached"}}""", ("retry-after", "7"));
        using var client = Client(handler);
        var e = await Assert.ThrowsAsync<RateLimitedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")]));
        Assert.True(e.Retryable);
        Assert.Equal(TimeSpan.FromSeconds(7), e.RetryAfter);
        Assert.Equal(1, handler.Calls); // the SDK's own retries are off: the scheduler retries
    }

    [Fact]
    public async Task Unauthorized_message_never_shows_the_key()
    {
        var body = """{"error":{"message":"Incorrect API key provided: KEY. Also sk-proj-TES************mnop.","code":"invalid_api_key"}}"""
            .Replace("KEY", Key, StringComparison.Ordinal);
        using var client = Client(new CannedHttpHandler(HttpStatusCode.Unauthorized, body));
        var e = await Assert.ThrowsAnyAsync<TaskFailedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")]));
        Assert.False(e.Retryable);
        Assert.Contains("Incorrect API key provided", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("TESTKEY", e.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("mnop", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unauthorized_is_a_final_key_rejection_naming_the_key_alias()
    {
        using var client = Client(new CannedHttpHandler(HttpStatusCode.Unauthorized, """{"error":{"message":"Incorrect API key provided.","code":"invalid_api_key"}}"""));
        var e = await Assert.ThrowsAsync<KeyRejectedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")]));
        Assert.False(e.Retryable);
        Assert.Equal("OpenAI HTTP 401 (key 'main'): Incorrect API key provided.", e.Message);
    }

    [Fact]
    public async Task A_context_window_400_is_a_final_failure_a_fallback_may_take()
    {
        using var client = Client(new CannedHttpHandler(HttpStatusCode.BadRequest, """{"error":{"message":"This model's maximum context length is 8192 tokens.","code":"context_length_exceeded"}}"""));
        var e = await Assert.ThrowsAsync<ContextWindowException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")]));
        Assert.False(e.Retryable);
    }

    [Fact]
    public async Task A_connection_failure_is_retryable_and_never_shows_the_key()
    {
        using var client = Client(new CannedHttpHandler(new HttpRequestException($"connection reset while sending {Key}")));
        var e = await Assert.ThrowsAnyAsync<TaskFailedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")]));
        Assert.True(e.Retryable);
        Assert.StartsWith("OpenAI request failed: ", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("TESTKEY", e.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streaming_is_served_from_one_whole_response()
    {
        var handler = new CannedHttpHandler(HttpStatusCode.OK, Completion);
        using var client = Client(handler);
        var updates = await client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "title?")]).ToListAsync();

        Assert.Equal("{\"title\":\"Rivers\"}", string.Concat(updates.Select(u => u.Text)));
        using var body = JsonDocument.Parse(handler.Body!);
        Assert.False(body.RootElement.TryGetProperty("stream", out _));
    }

    private static IChatClient Client(CannedHttpHandler handler, RateHeaderSink? headers = null) =>
        OpenAIKeyClient.Create(new KeyIdentity("main", Key), new Uri("https://llm.internal/v1"), "gpt-4o-mini", headers, handler);
}
