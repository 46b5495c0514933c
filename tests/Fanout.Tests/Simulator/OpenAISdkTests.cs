using System.ClientModel;
using System.Text;
using System.Text.Json;
using Fanout.Simulator;
using Microsoft.Extensions.Time.Testing;
using OpenAI.Chat;

namespace Fanout.Tests.Simulator;

/// <summary>The official OpenAI SDK against the simulator over loopback HTTP.</summary>
public class OpenAISdkTests
{
    [Fact]
    public async Task Completion_returns_text_usage_and_rate_limit_headers()
    {
        await using var server = await SimulatorFixture.Start(new SimulatorKey("a", SimulatorFixture.Key) { Rpm = 100, Tpm = 10_000 });
        var client = SimulatorFixture.OpenAI(server);

        var result = await client.CompleteChatAsync([new UserChatMessage("Write a line about rivers.")], new ChatCompletionOptions { MaxOutputTokenCount = 200 });

        var completion = result.Value;
        Assert.False(string.IsNullOrWhiteSpace(completion.Content[0].Text));
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal("gpt-4o-mini", completion.Model);
        Assert.InRange(completion.Usage.OutputTokenCount, 1, 200);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
        Assert.Equal("100", SimulatorFixture.Header(result, "x-ratelimit-limit-requests"));
        Assert.Equal("99", SimulatorFixture.Header(result, "x-ratelimit-remaining-requests"));
        Assert.Equal("10000", SimulatorFixture.Header(result, "x-ratelimit-limit-tokens"));
        Assert.True(int.Parse(SimulatorFixture.Header(result, "x-ratelimit-remaining-tokens"), System.Globalization.CultureInfo.InvariantCulture) < 10_000);
        Assert.EndsWith("s", SimulatorFixture.Header(result, "x-ratelimit-reset-requests"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Same_request_gets_the_same_answer()
    {
        await using var server = await SimulatorFixture.Start();
        var client = SimulatorFixture.OpenAI(server);

        var first = await client.CompleteChatAsync([new UserChatMessage("same")]);
        var second = await client.CompleteChatAsync([new UserChatMessage("same")]);
        var other = await client.CompleteChatAsync([new UserChatMessage("different")]);

        Assert.Equal(first.Value.Content[0].Text, second.Value.Content[0].Text);
        Assert.NotEqual(first.Value.Content[0].Text, other.Value.Content[0].Text);
    }

    [Fact]
    public async Task Streaming_delivers_the_text_in_pieces_and_usage_at_the_end()
    {
        await using var server = await SimulatorFixture.Start();
        var client = SimulatorFixture.OpenAI(server);
        var expected = (await client.CompleteChatAsync([new UserChatMessage("stream me")])).Value.Content[0].Text;

        var text = new StringBuilder();
        var pieces = 0;
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("stream me")], new ChatCompletionOptions()))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
                pieces++;
            }

            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal(expected, text.ToString());
        Assert.True(pieces > 1, $"expected several pieces, got {pieces}");
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.True(usage!.OutputTokenCount > 0);
    }

    [Fact]
    public async Task Json_schema_response_format_returns_json_that_fits_the_schema()
    {
        await using var server = await SimulatorFixture.Start();
        var client = SimulatorFixture.OpenAI(server);
        const string schema = """
            {"type":"object","properties":{"title":{"type":"string"},"score":{"type":"integer","minimum":0,"maximum":10},
             "tags":{"type":"array","items":{"type":"string"},"minItems":1}},"required":["title","score","tags"],"additionalProperties":false}
            """;
        var options = new ChatCompletionOptions
        {
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("outline", BinaryData.FromString(schema), jsonSchemaIsStrict: true),
        };

        var result = await client.CompleteChatAsync([new UserChatMessage("Outline a post.")], options);

        using var answer = JsonDocument.Parse(result.Value.Content[0].Text);
        var root = answer.RootElement;
        Assert.Equal(["score", "tags", "title"], root.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(JsonValueKind.String, root.GetProperty("title").ValueKind);
        Assert.InRange(root.GetProperty("score").GetInt32(), 0, 10);
        Assert.True(root.GetProperty("tags").GetArrayLength() >= 1);
    }

    [Fact]
    public async Task Json_object_response_format_returns_a_json_object()
    {
        await using var server = await SimulatorFixture.Start();
        var client = SimulatorFixture.OpenAI(server);

        var result = await client.CompleteChatAsync([new UserChatMessage("Reply in JSON.")],
            new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat() });

        using var answer = JsonDocument.Parse(result.Value.Content[0].Text);
        Assert.Equal(JsonValueKind.Object, answer.RootElement.ValueKind);
    }

    [Fact]
    public async Task Unknown_key_gets_401()
    {
        await using var server = await SimulatorFixture.Start();
        var client = SimulatorFixture.OpenAI(server, key: "sk-wrong");

        var e = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(401, e.Status);
    }

    [Fact]
    public async Task Key_over_its_rpm_gets_429_with_retry_after_until_the_window_refills()
    {
        var time = new FakeTimeProvider();
        await using var server = await SimulatorFixture.Start(new SimulatorKey("a", SimulatorFixture.Key) { Rpm = 3 }, time);
        var client = SimulatorFixture.OpenAI(server);

        var admitted = 0;
        ClientResultException? rejected = null;
        for (var i = 0; i < 10 && rejected is null; i++)
        {
            try
            {
                await client.CompleteChatAsync([new UserChatMessage($"q{i}")]);
                admitted++;
            }
            catch (ClientResultException e)
            {
                rejected = e;
            }
        }

        Assert.Equal(3, admitted);
        Assert.NotNull(rejected);
        Assert.Equal(429, rejected!.Status);
        var headers = rejected.GetRawResponse()!.Headers;
        Assert.True(headers.TryGetValue("retry-after", out var seconds));
        Assert.Equal("20", seconds); // 3 per minute: one request comes back every 20 s
        Assert.True(headers.TryGetValue("retry-after-ms", out var ms));
        Assert.Equal("0", headers.TryGetValue("x-ratelimit-remaining-requests", out var remaining) ? remaining : null);
        using (var body = JsonDocument.Parse(rejected.GetRawResponse()!.Content.ToString()))
        {
            Assert.Equal("rate_limit_exceeded", body.RootElement.GetProperty("error").GetProperty("type").GetString());
        }

        time.Advance(TimeSpan.FromMilliseconds(double.Parse(ms!, System.Globalization.CultureInfo.InvariantCulture) - 1));
        await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("early")]));
        time.Advance(TimeSpan.FromMilliseconds(1));
        var after = await client.CompleteChatAsync([new UserChatMessage("after the wait")]);
        Assert.Equal(200, after.GetRawResponse().Status);
    }

    [Fact]
    public async Task Token_limit_rejects_a_request_whose_max_tokens_do_not_fit()
    {
        var time = new FakeTimeProvider();
        await using var server = await SimulatorFixture.Start(new SimulatorKey("a", SimulatorFixture.Key) { Tpm = 1_000 }, time);
        var client = SimulatorFixture.OpenAI(server);

        await client.CompleteChatAsync([new UserChatMessage("small")], new ChatCompletionOptions { MaxOutputTokenCount = 100 });
        var e = await Assert.ThrowsAsync<ClientResultException>(() =>
            client.CompleteChatAsync([new UserChatMessage("big")], new ChatCompletionOptions { MaxOutputTokenCount = 990 }));

        Assert.Equal(429, e.Status);
    }
}
