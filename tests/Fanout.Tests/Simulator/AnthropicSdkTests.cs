using System.Net;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Fanout.Simulator;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.Tests.Simulator;

/// <summary>The official Anthropic SDK (through its own IChatClient) and raw HTTP against the simulator's <c>/v1/messages</c>.</summary>
public class AnthropicSdkTests
{
    private static IChatClient Client(SimulatorServer server, string key = SimulatorFixture.Key) =>
        new AnthropicClient(new ClientOptions { ApiKey = key, BaseUrl = server.Address.ToString().TrimEnd('/'), MaxRetries = 0 })
            .AsIChatClient("claude-sonnet-4", 256);

    [Fact]
    public async Task Message_returns_text_and_usage()
    {
        await using var server = await SimulatorFixture.Start();
        using var client = Client(server);

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.System, "be brief"), new ChatMessage(ChatRole.User, "Title for a post on rivers?")]);

        Assert.False(string.IsNullOrWhiteSpace(response.Text));
        Assert.True(response.Usage!.InputTokenCount > 0);
        Assert.InRange(response.Usage.OutputTokenCount ?? 0, 1, 256);
    }

    [Fact]
    public async Task Streaming_message_assembles_the_same_text_as_the_non_streaming_one()
    {
        await using var server = await SimulatorFixture.Start();
        using var client = Client(server);
        var whole = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "stream please")]);

        var text = new StringBuilder();
        var updates = 0;
        await foreach (var update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "stream please")]))
        {
            text.Append(update.Text);
            updates++;
        }

        Assert.Equal(whole.Text, text.ToString());
        Assert.True(updates > 2, $"expected several updates, got {updates}");
    }

    [Fact]
    public async Task Unknown_key_fails_with_401()
    {
        await using var server = await SimulatorFixture.Start();
        using var client = Client(server, "sk-ant-wrong");

        var e = await Assert.ThrowsAnyAsync<AnthropicApiException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]));

        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
    }

    [Fact]
    public async Task Rate_limit_headers_use_anthropic_names_and_429_carries_retry_after()
    {
        await using var server = await SimulatorFixture.Start(new SimulatorKey("a", SimulatorFixture.Key) { Rpm = 1, Itpm = 1000, Otpm = 500 }, new FakeTimeProvider());
        using var http = new HttpClient { BaseAddress = server.Address };

        using var first = await http.SendAsync(Request());
        using var second = await http.SendAsync(Request());

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("1", first.Headers.GetValues("anthropic-ratelimit-requests-limit").Single());
        Assert.Equal("0", first.Headers.GetValues("anthropic-ratelimit-requests-remaining").Single());
        Assert.Equal("1000", first.Headers.GetValues("anthropic-ratelimit-input-tokens-limit").Single());
        Assert.Equal("500", first.Headers.GetValues("anthropic-ratelimit-output-tokens-limit").Single());
        Assert.True(DateTimeOffset.TryParse(first.Headers.GetValues("anthropic-ratelimit-requests-reset").Single(), System.Globalization.CultureInfo.InvariantCulture, out _));
        Assert.Equal((HttpStatusCode)429, second.StatusCode);
        Assert.Equal("60", second.Headers.GetValues("retry-after").Single());
        using var body = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        Assert.Equal("rate_limit_error", body.RootElement.GetProperty("error").GetProperty("type").GetString());

        static HttpRequestMessage Request() => new(HttpMethod.Post, "v1/messages")
        {
            Headers = { { "x-api-key", SimulatorFixture.Key }, { "anthropic-version", "2023-06-01" } },
            Content = new StringContent("""{"model":"claude","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
    }
}
