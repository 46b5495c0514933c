using System.ClientModel;
using System.Net;
using System.Text;
using Fanout.Simulator;
using OpenAI.Chat;

namespace Fanout.Tests.Simulator;

/// <summary>Scripted faults, as the official SDK sees them.</summary>
public class FaultTests
{
    private static Task<SimulatorServer> Scripted(params HttpFault?[] script) =>
        SimulatorFixture.Start(faults: new FaultSettings { Script = [.. script] });

    [Theory]
    [InlineData(HttpFault.ServerError, 500)]
    [InlineData(HttpFault.Unavailable, 503)]
    public async Task Scripted_error_status_comes_first_then_normal_answers(HttpFault fault, int status)
    {
        await using var server = await Scripted(fault);
        var client = SimulatorFixture.OpenAI(server);

        var e = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")]));
        var ok = await client.CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal(status, e.Status);
        Assert.Equal(200, ok.GetRawResponse().Status);
    }

    [Fact]
    public async Task Reset_aborts_the_connection()
    {
        await using var server = await Scripted(HttpFault.Reset);
        var client = SimulatorFixture.OpenAI(server);

        var e = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(0, e.Status); // no HTTP status: the transport failed
        Assert.IsAssignableFrom<HttpRequestException>(e.InnerException);
    }

    [Fact]
    public async Task Timeout_hangs_until_the_client_gives_up()
    {
        await using var server = await Scripted(HttpFault.Timeout);
        var client = SimulatorFixture.OpenAI(server);
        using var giveUp = new CancellationTokenSource();

        var call = client.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: giveUp.Token);
        Assert.False(call.IsCompleted);
        await giveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task Malformed_json_is_a_200_whose_body_does_not_parse()
    {
        await using var server = await Scripted(HttpFault.MalformedJson);
        using var http = new HttpClient { BaseAddress = server.Address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/chat/completions")
        {
            Headers = { { "Authorization", "Bearer " + SimulatorFixture.Key } },
            Content = new StringContent("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("{\"id\":", body, StringComparison.Ordinal);
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => System.Text.Json.JsonDocument.Parse(body));
    }

    [Fact]
    public async Task Truncated_stream_breaks_off_before_the_end()
    {
        await using var server = await Scripted(HttpFault.TruncatedStream);
        var client = SimulatorFixture.OpenAI(server);

        var received = new StringBuilder();
        var e = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("hi")], new ChatCompletionOptions()))
            {
                foreach (var part in update.ContentUpdate)
                {
                    received.Append(part.Text);
                }
            }
        });

        var whole = (await client.CompleteChatAsync([new UserChatMessage("hi")])).Value.Content[0].Text;
        Assert.NotNull(e);
        Assert.True(received.Length < whole.Length, $"received {received.Length} of {whole.Length} characters");
    }

    [Fact]
    public async Task Image_requests_get_scripted_faults_too()
    {
        await using var server = await Scripted(HttpFault.Unavailable);
        using var http = new HttpClient { BaseAddress = server.Address };

        async Task<HttpStatusCode> Generate()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/images/generations")
            {
                Headers = { { "Authorization", "Bearer " + SimulatorFixture.Key } },
                Content = new StringContent("""{"prompt":"a cat","size":"8x8"}""", Encoding.UTF8, "application/json"),
            };
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await Generate());
        Assert.Equal(HttpStatusCode.OK, await Generate());
    }

    [Fact]
    public async Task Anthropic_requests_get_scripted_faults_with_anthropic_statuses()
    {
        await using var server = await Scripted(HttpFault.Unavailable, HttpFault.ServerError);
        using var http = new HttpClient { BaseAddress = server.Address };

        async Task<int> Send()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
            {
                Headers = { { "x-api-key", SimulatorFixture.Key } },
                Content = new StringContent("""{"model":"claude","max_tokens":20,"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
            };
            using var response = await http.SendAsync(request);
            return (int)response.StatusCode;
        }

        var statuses = new List<int> { await Send(), await Send(), await Send() };

        Assert.Equal([529, 500, 200], statuses);
    }
}
