using System.Net;
using System.Text;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Fanout.Simulator;
using Microsoft.Extensions.AI;
using OpenAI.Chat;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;

namespace Fanout.Tests.Simulator;

/// <summary>Tool calls through the official OpenAI and Anthropic .NET SDKs against the simulator, over loopback HTTP.</summary>
public class ToolCallTests
{
    private const string WeatherSchema = """
        {"type":"object","properties":{"city":{"type":"string","minLength":2},"days":{"type":"integer","minimum":1,"maximum":7},
         "unit":{"type":"string","enum":["c","f"]}},"required":["city","days","unit"],"additionalProperties":false}
        """;

    private const string FileSchema = """
        {"type":"object","properties":{"path":{"type":"string"},"content":{"type":"string"}},"required":["path","content"]}
        """;

    private static ChatTool Weather { get; } = ChatTool.CreateFunctionTool("get_weather", "Forecast for a city", BinaryData.FromString(WeatherSchema));

    private static ChatTool WriteFile { get; } = ChatTool.CreateFunctionTool("write_file", "Writes a file", BinaryData.FromString(FileSchema));

    private static IChatClient Anthropic(SimulatorServer server) =>
        new AnthropicClient(new ClientOptions { ApiKey = SimulatorFixture.Key, BaseUrl = server.Address.ToString().TrimEnd('/'), MaxRetries = 0 })
            .AsIChatClient("claude-sonnet-4", 256);

    private static AIFunctionDeclaration Declaration(string name, string schema) => AIFunctionFactory.CreateDeclaration(name, null, JsonDocument.Parse(schema).RootElement);

    private static void AssertFits(string schema, string json)
    {
        Assert.True(CompiledSchema.TryCompile(JsonDocument.Parse(schema).RootElement, out var compiled, out var error), error);
        using var document = JsonDocument.Parse(json);
        Assert.True(compiled.IsValid(document.RootElement), $"arguments {json} do not fit {schema}");
    }

    [Fact]
    public async Task OpenAI_required_tool_choice_returns_a_tool_call_whose_arguments_fit_the_schema()
    {
        await using var server = await SimulatorFixture.Start();
        var client = SimulatorFixture.OpenAI(server);
        var options = new ChatCompletionOptions { Tools = { Weather }, ToolChoice = ChatToolChoice.CreateRequiredChoice(), AllowParallelToolCalls = false };

        var completion = (await client.CompleteChatAsync([new UserChatMessage("Weather in Oslo?")], options)).Value;
        var again = (await client.CompleteChatAsync([new UserChatMessage("Weather in Oslo?")], options)).Value;

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.StartsWith("call_", call.Id, StringComparison.Ordinal);
        AssertFits(WeatherSchema, call.FunctionArguments.ToString());
        Assert.Equal(call.FunctionArguments.ToString(), again.ToolCalls[0].FunctionArguments.ToString()); // deterministic
        Assert.True(completion.Usage.InputTokenCount > 0 && completion.Usage.OutputTokenCount > 0);
    }

    [Fact]
    public async Task OpenAI_named_tool_choice_calls_that_tool()
    {
        await using var server = await SimulatorFixture.Start();
        var client = SimulatorFixture.OpenAI(server);
        var options = new ChatCompletionOptions { Tools = { Weather, WriteFile }, ToolChoice = ChatToolChoice.CreateFunctionChoice("write_file") };

        var completion = (await client.CompleteChatAsync([new UserChatMessage("Save a note.")], options)).Value;

        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("write_file", call.FunctionName);
        AssertFits(FileSchema, call.FunctionArguments.ToString());
    }

    [Fact]
    public async Task OpenAI_multi_turn_answers_a_tool_result_with_a_final_message()
    {
        await using var server = await SimulatorFixture.Start();
        var client = SimulatorFixture.OpenAI(server);
        var options = new ChatCompletionOptions { Tools = { Weather, WriteFile } };
        List<OpenAI.Chat.ChatMessage> messages = [new UserChatMessage("Weather in Oslo?")];

        var first = (await client.CompleteChatAsync(messages, options)).Value;
        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        Assert.NotEmpty(first.ToolCalls);
        messages.Add(new AssistantChatMessage(first));
        messages.AddRange(first.ToolCalls.Select(c => new ToolChatMessage(c.Id, """{"forecast":"rain"}""")));
        var second = (await client.CompleteChatAsync(messages, options)).Value;

        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
        Assert.Empty(second.ToolCalls);
        Assert.False(string.IsNullOrWhiteSpace(second.Content[0].Text));
    }

    [Fact]
    public async Task OpenAI_script_drives_parallel_calls_with_exact_arguments_then_stops()
    {
        await using var server = await SimulatorFixture.Start();
        var client = SimulatorFixture.OpenAI(server);
        var options = new ChatCompletionOptions { Tools = { Weather, WriteFile } };
        List<OpenAI.Chat.ChatMessage> messages =
        [
            new SystemChatMessage("""sim-script: [[{"tool":"get_weather","arguments":{"city":"Oslo","days":2,"unit":"c"}},{"tool":"write_file"}], [{"tool":"write_file","arguments":{"path":"a.txt","content":"hi"}}], "All done."]"""),
            new UserChatMessage("Plan the trip."),
        ];

        var turns = new List<ChatCompletion>();
        for (var i = 0; i < 4; i++)
        {
            var completion = (await client.CompleteChatAsync(messages, options)).Value;
            turns.Add(completion);
            if (completion.FinishReason != ChatFinishReason.ToolCalls)
            {
                break;
            }

            messages.Add(new AssistantChatMessage(completion));
            messages.AddRange(completion.ToolCalls.Select(c => new ToolChatMessage(c.Id, "ok")));
        }

        Assert.Equal(3, turns.Count);
        Assert.Equal(["get_weather", "write_file"], turns[0].ToolCalls.Select(c => c.FunctionName));
        Assert.Equal("""{"city":"Oslo","days":2,"unit":"c"}""", turns[0].ToolCalls[0].FunctionArguments.ToString());
        AssertFits(FileSchema, turns[0].ToolCalls[1].FunctionArguments.ToString());
        Assert.NotEqual(turns[0].ToolCalls[0].Id, turns[0].ToolCalls[1].Id);
        Assert.Equal("""{"path":"a.txt","content":"hi"}""", Assert.Single(turns[1].ToolCalls).FunctionArguments.ToString());
        Assert.Equal("All done.", turns[2].Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, turns[2].FinishReason);
    }

    [Fact]
    public async Task OpenAI_streaming_delivers_tool_calls_as_deltas_that_assemble_the_same_calls()
    {
        await using var server = await SimulatorFixture.Start();
        var client = SimulatorFixture.OpenAI(server);
        var options = new ChatCompletionOptions { Tools = { Weather, WriteFile }, ToolChoice = ChatToolChoice.CreateRequiredChoice() };
        var whole = (await client.CompleteChatAsync([new UserChatMessage("Go.")], options)).Value;

        var ids = new Dictionary<int, string>();
        var names = new Dictionary<int, string>();
        var arguments = new Dictionary<int, StringBuilder>();
        var deltas = 0;
        ChatFinishReason? finish = null;
        await foreach (var update in client.CompleteChatStreamingAsync([new UserChatMessage("Go.")], options))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                if (part.ToolCallId is { } id)
                {
                    ids[part.Index] = id;
                }

                if (part.FunctionName is { } name)
                {
                    names[part.Index] = name;
                }

                if (part.FunctionArgumentsUpdate is { } piece && !piece.ToMemory().IsEmpty)
                {
                    (arguments.TryGetValue(part.Index, out var sb) ? sb : arguments[part.Index] = new StringBuilder()).Append(piece.ToString());
                    deltas++;
                }
            }

            finish ??= update.FinishReason;
        }

        Assert.Equal(ChatFinishReason.ToolCalls, finish);
        Assert.Equal(whole.ToolCalls.Count, ids.Values.Distinct().Count());
        Assert.All(ids.Values, id => Assert.StartsWith("call_", id, StringComparison.Ordinal));
        Assert.Equal(whole.ToolCalls.Select(c => c.FunctionName), names.OrderBy(p => p.Key).Select(p => p.Value));
        Assert.Equal(whole.ToolCalls.Select(c => c.FunctionArguments.ToString()), arguments.OrderBy(p => p.Key).Select(p => p.Value.ToString()));
        Assert.True(deltas > whole.ToolCalls.Count, $"expected arguments in several pieces, got {deltas}");
    }

    [Fact]
    public async Task OpenAI_tool_choice_none_and_no_parallel_calls_are_honoured()
    {
        await using var server = await SimulatorFixture.Start();
        var client = SimulatorFixture.OpenAI(server);

        var none = (await client.CompleteChatAsync([new UserChatMessage("Hi.")],
            new ChatCompletionOptions { Tools = { Weather, WriteFile }, ToolChoice = ChatToolChoice.CreateNoneChoice() })).Value;
        var single = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i => (await client.CompleteChatAsync([new UserChatMessage($"q{i}")],
            new ChatCompletionOptions { Tools = { Weather, WriteFile }, ToolChoice = ChatToolChoice.CreateRequiredChoice(), AllowParallelToolCalls = false })).Value));

        Assert.Equal(ChatFinishReason.Stop, none.FinishReason);
        Assert.Empty(none.ToolCalls);
        Assert.All(single, c => Assert.Single(c.ToolCalls));
    }

    [Fact]
    public async Task Anthropic_any_tool_choice_returns_tool_use_and_multi_turn_ends_with_text()
    {
        await using var server = await SimulatorFixture.Start();
        using var client = Anthropic(server);
        // The SDK's adapter moves numeric bounds out of the schema it sends, so this test's schema has none.
        var options = new ChatOptions { Tools = [Declaration("write_file", FileSchema)], ToolMode = ChatToolMode.RequireAny };
        List<Microsoft.Extensions.AI.ChatMessage> messages = [new(ChatRole.User, "Save a note.")];

        var first = await client.GetResponseAsync(messages, options);
        var call = Assert.Single(first.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("write_file", call.Name);
        Assert.StartsWith("toolu_", call.CallId, StringComparison.Ordinal);
        AssertFits(FileSchema, JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions));
        Assert.Equal(Microsoft.Extensions.AI.ChatFinishReason.ToolCalls, first.FinishReason);

        messages.AddMessages(first);
        messages.Add(new Microsoft.Extensions.AI.ChatMessage(ChatRole.User, [new FunctionResultContent(call.CallId, "rain")]));
        var second = await client.GetResponseAsync(messages, new ChatOptions { Tools = options.Tools, ToolMode = ChatToolMode.Auto });

        Assert.Empty(second.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.False(string.IsNullOrWhiteSpace(second.Text));
    }

    [Fact]
    public async Task Anthropic_streaming_tool_use_assembles_the_same_input_as_the_whole_message()
    {
        await using var server = await SimulatorFixture.Start();
        using var client = Anthropic(server);
        var options = new ChatOptions
        {
            Tools = [Declaration("get_weather", WeatherSchema), Declaration("write_file", FileSchema)],
            ToolMode = ChatToolMode.RequireSpecific("write_file"),
        };
        var whole = await client.GetResponseAsync([new(ChatRole.User, "Save it.")], options);

        var streamed = await client.GetStreamingResponseAsync([new(ChatRole.User, "Save it.")], options).ToChatResponseAsync();

        var expected = Assert.Single(whole.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        var actual = Assert.Single(streamed.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.Equal("write_file", actual.Name);
        Assert.StartsWith("toolu_", actual.CallId, StringComparison.Ordinal);
        Assert.NotEqual(expected.CallId, actual.CallId); // every response has call ids of its own
        Assert.Equal(JsonSerializer.Serialize(expected.Arguments, AIJsonUtilities.DefaultOptions), JsonSerializer.Serialize(actual.Arguments, AIJsonUtilities.DefaultOptions));
    }

    [Fact]
    public async Task Anthropic_stream_carries_tool_use_blocks_with_input_json_deltas()
    {
        await using var server = await SimulatorFixture.Start();
        using var http = new HttpClient { BaseAddress = server.Address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages")
        {
            Headers = { { "x-api-key", SimulatorFixture.Key }, { "anthropic-version", "2023-06-01" } },
            Content = new StringContent($$$"""
                {"model":"claude","max_tokens":200,"stream":true,"messages":[{"role":"user","content":"go"}],
                 "tools":[{"name":"get_weather","input_schema":{{{WeatherSchema}}}}],"tool_choice":{"type":"any","disable_parallel_tool_use":true}}
                """, Encoding.UTF8, "application/json"),
        };

        using var response = await http.SendAsync(request);
        var events = (await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => JsonDocument.Parse(e.Split("data: ")[1]).RootElement).ToList();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var start = events.Single(e => e.GetProperty("type").GetString() == "content_block_start").GetProperty("content_block");
        Assert.Equal("tool_use", start.GetProperty("type").GetString());
        Assert.Equal("get_weather", start.GetProperty("name").GetString());
        var json = string.Concat(events.Where(e => e.GetProperty("type").GetString() == "content_block_delta")
            .Select(e => e.GetProperty("delta")).Select(d => Assert.IsType<string>(d.GetProperty("type").GetString() == "input_json_delta" ? d.GetProperty("partial_json").GetString() : null)));
        AssertFits(WeatherSchema, json);
        Assert.Equal("tool_use", events.Single(e => e.GetProperty("type").GetString() == "message_delta").GetProperty("delta").GetProperty("stop_reason").GetString());
    }
}
