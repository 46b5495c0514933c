#pragma warning disable OPENAI001 // the Responses client is marked for evaluation; the simulator serves its wire format
using System.ClientModel;
using System.Collections.Immutable;
using System.Net;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Fanout.Providers.Simulation;
using Fanout.Simulator;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using OpenAI.Models;
using OpenAI.Responses;

namespace Fanout.Tests.Simulator;

/// <summary>The endpoints beside chat (models, embeddings, responses, count_tokens), validation, error shapes and request ids, over loopback HTTP.</summary>
public class EndpointTests
{
    private static OpenAIClientOptions Options(SimulatorServer server) => new()
    {
        Endpoint = new Uri(server.Address, "v1"),
        RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0),
    };

    /// <summary>A simulator serving only the named models (plus the instant latency of every test).</summary>
    private static Task<SimulatorServer> Serving(params string[] models) => SimulatorServer.StartAsync(new SimulatorOptions
    {
        Port = 0,
        Keys = [new SimulatorKey("test", SimulatorFixture.Key)],
        Simulation = SimulatorFixture.Instant with
        {
            Models = models.ToImmutableDictionary(m => m, _ => SimulatorFixture.Instant.Models[SimulationSettings.AnyModel]),
        },
    });

    private static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> Send(SimulatorServer server, HttpMethod method, string path, string? body, bool anthropic = false)
    {
        using var http = new HttpClient { BaseAddress = server.Address };
        using var request = new HttpRequestMessage(method, path);
        if (anthropic)
        {
            request.Headers.Add("x-api-key", SimulatorFixture.Key);
            request.Headers.Add("anthropic-version", "2023-06-01");
        }
        else
        {
            request.Headers.Add("Authorization", "Bearer " + SimulatorFixture.Key);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    [Fact]
    public async Task OpenAI_models_lists_the_configured_models_and_retrieves_one()
    {
        await using var server = await Serving("gpt-4o-mini", "gpt-4o", "claude-sonnet-4");
        var client = new OpenAIModelClient(new ApiKeyCredential(SimulatorFixture.Key), Options(server));

        var models = (await client.GetModelsAsync()).Value;
        var one = (await client.GetModelAsync("gpt-4o")).Value;
        var missing = await Assert.ThrowsAsync<ClientResultException>(() => client.GetModelAsync("gpt-9"));

        Assert.Equal(["gpt-4o", "gpt-4o-mini"], models.Select(m => m.Id));
        Assert.Equal("gpt-4o", one.Id);
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task Anthropic_models_lists_its_own_models_in_its_shape()
    {
        await using var server = await Serving("gpt-4o", "claude-sonnet-4", "claude-haiku-4");

        var (status, body, _) = await Send(server, HttpMethod.Get, "v1/models", null, anthropic: true);
        var (oneStatus, one, _) = await Send(server, HttpMethod.Get, "v1/models/claude-haiku-4", null, anthropic: true);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["claude-haiku-4", "claude-sonnet-4"], body.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.False(body.GetProperty("has_more").GetBoolean());
        Assert.Equal("model", one.GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.OK, oneStatus);
    }

    [Fact]
    public async Task Embeddings_are_deterministic_unit_vectors_of_the_requested_size()
    {
        await using var server = await SimulatorFixture.Start();
        var client = new EmbeddingClient("text-embedding-3-small", new ApiKeyCredential(SimulatorFixture.Key), Options(server));

        var result = (await client.GenerateEmbeddingsAsync(["rivers", "mountains", "rivers"])).Value;
        var small = (await client.GenerateEmbeddingAsync("rivers", new OpenAI.Embeddings.EmbeddingGenerationOptions { Dimensions = 256 })).Value;

        var vectors = result.Select(e => e.ToFloats().ToArray()).ToList();
        Assert.All(vectors, v => Assert.Equal(1536, v.Length));
        Assert.Equal(1.0, Math.Sqrt(vectors[0].Sum(x => (double)x * x)), 3);
        Assert.Equal(vectors[0], vectors[2]);
        Assert.InRange(vectors[0].Zip(vectors[1], (a, b) => (double)a * b).Sum(), -0.2, 0.2);
        Assert.Equal(256, small.ToFloats().Length);
        Assert.True(result.Usage.InputTokenCount > 0);
    }

    [Fact]
    public async Task Responses_api_answers_text_and_structured_output()
    {
        await using var server = await SimulatorFixture.Start();
        using var client = new ResponsesClient(new ApiKeyCredential(SimulatorFixture.Key), new ResponsesClientOptions
        {
            Endpoint = new Uri(server.Address, "v1"),
            RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(maxRetries: 0),
        }).AsIChatClient("gpt-4o-mini");
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"title":{"type":"string"}},"required":["title"],"additionalProperties":false}""").RootElement;

        var text = await client.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, "A line about rivers.")]);
        var json = await client.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, "Title?")],
            new ChatOptions { ResponseFormat = Microsoft.Extensions.AI.ChatResponseFormat.ForJsonSchema(schema, "title") });

        Assert.False(string.IsNullOrWhiteSpace(text.Text));
        Assert.True(text.Usage!.InputTokenCount > 0 && text.Usage.OutputTokenCount > 0);
        using var answer = JsonDocument.Parse(json.Text);
        Assert.Equal(JsonValueKind.String, answer.RootElement.GetProperty("title").ValueKind);
    }

    [Fact]
    public async Task Responses_api_streams_the_same_text_and_tool_calls_as_it_answers_whole()
    {
        // Raw HTTP: Microsoft.Extensions.AI.OpenAI 11.0.0's streaming adapter calls a method OpenAI 2.15 no longer has.
        await using var server = await SimulatorFixture.Start();
        const string text = """{"model":"gpt-4o-mini","input":"A line about rivers."}""";
        const string tool = """{"model":"gpt-4o-mini","input":"Find it.","tool_choice":"required","parallel_tool_calls":false,"tools":[{"type":"function","name":"search","parameters":{"type":"object","properties":{"q":{"type":"string"}},"required":["q"]}}]""";

        var (_, whole, _) = await Send(server, HttpMethod.Post, "v1/responses", text);
        var streamed = await Events(text[..^1] + ""","stream":true}""");
        var called = await Events(tool + ""","stream":true}""");

        var expected = whole.GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString();
        Assert.Equal(expected, string.Concat(streamed.Where(e => e.Type == "response.output_text.delta").Select(e => e.Data.GetProperty("delta").GetString())));
        Assert.Equal("response.created", streamed[0].Type);
        Assert.Equal("response.completed", streamed[^1].Type);
        Assert.Equal(Enumerable.Range(0, streamed.Count), streamed.Select(e => e.Data.GetProperty("sequence_number").GetInt32()));
        var arguments = string.Concat(called.Where(e => e.Type == "response.function_call_arguments.delta").Select(e => e.Data.GetProperty("delta").GetString()));
        var item = called[^1].Data.GetProperty("response").GetProperty("output")[0];
        Assert.Equal("function_call", item.GetProperty("type").GetString());
        Assert.Equal(item.GetProperty("arguments").GetString(), arguments);
        Assert.Equal(JsonValueKind.String, JsonDocument.Parse(arguments).RootElement.GetProperty("q").ValueKind);

        async Task<List<(string Type, JsonElement Data)>> Events(string body)
        {
            using var http = new HttpClient { BaseAddress = server.Address };
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/responses") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("Authorization", "Bearer " + SimulatorFixture.Key);
            using var response = await http.SendAsync(request);
            return [.. (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
                .Select(e => JsonDocument.Parse(e.Split("data: ")[1]).RootElement.Clone())
                .Select(d => (d.GetProperty("type").GetString()!, d))];
        }
    }

    [Fact]
    public async Task Count_tokens_counts_tools_and_matches_the_metered_usage()
    {
        await using var server = await SimulatorFixture.Start();
        var schema = """{"type":"object","properties":{"command":{"type":"string","description":"The shell command to run, with every argument quoted as the shell needs"}},"required":["command"]}""";
        const string messages = """ "system":[{"type":"text","text":"You are a careful agent."}],"messages":[{"role":"user","content":"list the files"}] """;

        var (_, plain, _) = await Send(server, HttpMethod.Post, "v1/messages/count_tokens", $$"""{"model":"claude-sonnet-4",{{messages}}}""", anthropic: true);
        var (_, tooled, _) = await Send(server, HttpMethod.Post, "v1/messages/count_tokens",
            $$"""{"model":"claude-sonnet-4",{{messages}},"tools":[{"name":"bash","description":"Runs a command","input_schema":{{schema}}}]}""", anthropic: true);
        var (_, message, _) = await Send(server, HttpMethod.Post, "v1/messages",
            $$$"""{"model":"claude-sonnet-4","max_tokens":50,{{{messages}}},"tools":[{"name":"bash","description":"Runs a command","input_schema":{{{schema}}}}],"tool_choice":{"type":"none"}}""", anthropic: true);

        var without = plain.GetProperty("input_tokens").GetInt64();
        var with = tooled.GetProperty("input_tokens").GetInt64();
        Assert.True(without > 0);
        Assert.InRange(with - without, (schema.Length + 20) / 4 - 1, (schema.Length + 20) / 4 + 2);
        Assert.Equal(with, message.GetProperty("usage").GetProperty("input_tokens").GetInt64());
    }

    [Fact]
    public async Task Images_are_metered_by_their_size()
    {
        await using var server = await SimulatorFixture.Start();
        var png = Convert.ToBase64String(Fanout.Providers.Images.Png.ForPrompt("x", 0, 300, 250));
        var (_, plain, _) = await Send(server, HttpMethod.Post, "v1/messages/count_tokens",
            """{"model":"claude","messages":[{"role":"user","content":[{"type":"text","text":"describe"}]}]}""", anthropic: true);
        var (_, image, _) = await Send(server, HttpMethod.Post, "v1/messages/count_tokens",
            $$$"""{"model":"claude","messages":[{"role":"user","content":[{"type":"text","text":"describe"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"{{{png}}}"}}]}]}""", anthropic: true);

        Assert.Equal(300 * 250 / 750, image.GetProperty("input_tokens").GetInt64() - plain.GetProperty("input_tokens").GetInt64());
    }

    [Fact]
    public async Task Anthropic_output_config_format_returns_json_that_fits_the_schema()
    {
        await using var server = await SimulatorFixture.Start();
        const string schema = """{"type":"object","properties":{"n":{"type":"integer","minimum":3,"maximum":5}},"required":["n"],"additionalProperties":false}""";

        var (status, body, _) = await Send(server, HttpMethod.Post, "v1/messages",
            $$$$"""{"model":"claude","max_tokens":100,"messages":[{"role":"user","content":"n?"}],"output_config":{"format":{"type":"json_schema","schema":{{{{schema}}}}}}}""", anthropic: true);
        using var sdk = new AnthropicClient(new ClientOptions { ApiKey = SimulatorFixture.Key, BaseUrl = server.Address.ToString().TrimEnd('/'), MaxRetries = 0 })
            .AsIChatClient("claude-sonnet-4", 256);
        var parsed = await sdk.GetResponseAsync([new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, "n?")],
            new ChatOptions { ResponseFormat = Microsoft.Extensions.AI.ChatResponseFormat.ForJsonSchema(JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}""").RootElement) });

        Assert.Equal(HttpStatusCode.OK, status);
        using var answer = JsonDocument.Parse(body.GetProperty("content")[0].GetProperty("text").GetString()!);
        Assert.InRange(answer.RootElement.GetProperty("n").GetInt32(), 3, 5);
        using var sdkAnswer = JsonDocument.Parse(parsed.Text);
        Assert.Equal(JsonValueKind.String, sdkAnswer.RootElement.GetProperty("name").ValueKind);
    }

    [Fact]
    public async Task N_gives_several_choices_and_stop_cuts_the_answer()
    {
        await using var server = await SimulatorFixture.Start();
        var client = SimulatorFixture.OpenAI(server);
        var whole = (await client.CompleteChatAsync([new UserChatMessage("tell me")])).Value.Content[0].Text;
        var stop = whole.Split(' ')[3];

        var (_, several, _) = await Send(server, HttpMethod.Post, "v1/chat/completions", """{"model":"gpt-4o-mini","n":3,"messages":[{"role":"user","content":"tell me"}]}""");
        var cut = (await client.CompleteChatAsync([new UserChatMessage("tell me")], new ChatCompletionOptions { StopSequences = { stop } })).Value;
        const string message = """ "model":"claude","max_tokens":1000,"messages":[{"role":"user","content":"tell me"}] """;
        var (_, uncut, _) = await Send(server, HttpMethod.Post, "v1/messages", "{" + message + "}", anthropic: true);
        var anthropicStop = uncut.GetProperty("content")[0].GetProperty("text").GetString()!.Split(' ')[2];
        var (_, anthropic, _) = await Send(server, HttpMethod.Post, "v1/messages",
            "{" + message + ",\"stop_sequences\":[\"" + anthropicStop + "\"]}", anthropic: true);

        var texts = several.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("message").GetProperty("content").GetString()).ToList();
        Assert.Equal([0, 1, 2], several.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("index").GetInt32()));
        Assert.Equal(whole, texts[0]);
        Assert.Equal(3, texts.Distinct().Count());
        Assert.Equal(whole[..whole.IndexOf(stop, StringComparison.Ordinal)], cut.Content[0].Text);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Stop, cut.FinishReason);
        Assert.Equal("stop_sequence", anthropic.GetProperty("stop_reason").GetString());
        Assert.Equal(anthropicStop, anthropic.GetProperty("stop_sequence").GetString());
        Assert.DoesNotContain(anthropicStop, anthropic.GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, """{"model":"m","messages":[]}""", 400, "messages")]
    [InlineData(false, """{"model":"gpt-9","messages":[{"role":"user","content":"hi"}]}""", 404, "gpt-9")]
    [InlineData(false, """{"model":"m","max_tokens":-5,"messages":[{"role":"user","content":"hi"}]}""", 400, "max_tokens")]
    [InlineData(false, """{"model":"m","max_tokens":9000000000000000000,"messages":[{"role":"user","content":"hi"}]}""", 400, "max_tokens")]
    [InlineData(false, """{"model":"m","messages":"hi"}""", 400, "messages")]
    [InlineData(false, """{"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"array","minItems":100000000}}}}""", 400, "minItems")]
    [InlineData(false, "not json", 400, "parse")]
    [InlineData(false, """{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"tool","tool_call_id":"call_x","content":"r"}]}""", 400, "call_x")]
    [InlineData(true, """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_x","content":"r"}]}]}""", 400, "toolu_x")]
    [InlineData(true, """{"model":"m","max_tokens":10,"messages":[]}""", 400, "messages")]
    [InlineData(true, """{"model":"gpt-9","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", 404, "gpt-9")]
    [InlineData(true, """{"model":"m","max_tokens":-1,"messages":[{"role":"user","content":"hi"}]}""", 400, "max_tokens")]
    [InlineData(true, """{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"output_format":{"type":"json_schema","schema":{"type":"string","minLength":100000000}}}""", 400, "minLength")]
    [InlineData(true, """{"model":"m","max_tokens":10,"messages":[{"role":7}]}""", 400, "role")]
    public async Task Nonsense_is_refused_in_the_providers_own_error_shape_without_dotnet_text(bool anthropic, string body, int status, string mentions)
    {
        await using var server = await Serving("m");

        var (code, error, response) = await Send(server, HttpMethod.Post, anthropic ? "v1/messages" : "v1/chat/completions", body, anthropic);

        Assert.Equal(status, (int)code);
        var message = error.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains(mentions, message, StringComparison.Ordinal);
        Assert.Equal("false", response.Headers.GetValues("x-should-retry").Single());
        foreach (var dotnet in new[] { "LineNumber", "BytePosition", "System.", "Exception", "   at " })
        {
            Assert.DoesNotContain(dotnet, message, StringComparison.Ordinal);
        }

        if (anthropic)
        {
            Assert.Equal("error", error.GetProperty("type").GetString());
            Assert.Equal(status == 404 ? "not_found_error" : "invalid_request_error", error.GetProperty("error").GetProperty("type").GetString());
            Assert.StartsWith("req_", response.Headers.GetValues("request-id").Single(), StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal("invalid_request_error", error.GetProperty("error").GetProperty("type").GetString());
            Assert.StartsWith("req_", response.Headers.GetValues("x-request-id").Single(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Unknown_paths_get_the_providers_json_error_and_retryable_statuses_say_so()
    {
        await using var server = await SimulatorFixture.Start(faults: new FaultSettings { Script = [HttpFault.ServerError] });

        var (openAIStatus, openAI, _) = await Send(server, HttpMethod.Post, "v1/assistants", "{}");
        var (anthropicStatus, anthropic, _) = await Send(server, HttpMethod.Get, "v1/files", null, anthropic: true);
        var (serverStatus, _, failed) = await Send(server, HttpMethod.Post, "v1/chat/completions", """{"model":"m","messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(HttpStatusCode.NotFound, openAIStatus);
        Assert.Contains("/v1/assistants", openAI.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, anthropicStatus);
        Assert.Equal("not_found_error", anthropic.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.InternalServerError, serverStatus);
        Assert.Equal("true", failed.Headers.GetValues("x-should-retry").Single());
    }
}
