using System.Text.Json;
using Fanout.Providers.Simulation;
using Fanout.Providers.Tokens;
using Microsoft.Extensions.AI;
using static Fanout.Tests.Providers.SimHelpers;

namespace Fanout.Tests.Providers;

/// <summary>The in-process simulated provider's tool calls, scripts and bounds (the generator the HTTP simulator serves).</summary>
public class SimulatedToolCallTests
{
    private static readonly AIFunctionDeclaration Search = AIFunctionFactory.CreateDeclaration("search", "Searches",
        JsonDocument.Parse("""{"type":"object","properties":{"query":{"type":"string"}},"required":["query"]}""").RootElement);

    private static ChatResponse Answer(IList<ChatMessage> messages, ChatOptions options) =>
        Timed(clock => new SimulatedChatClient(Settings(LatencyModel.Fixed(TimeSpan.Zero)), clock).GetResponseAsync(messages, options)).Item1;

    [Fact]
    public void A_scripted_conversation_calls_what_the_script_says_then_answers_its_text()
    {
        var options = new ChatOptions { Tools = [Search] };
        List<ChatMessage> messages = [new(ChatRole.System, """sim-script: [[{"tool":"search","arguments":{"query":"rivers"}}], "Found it."]"""), new(ChatRole.User, "go")];

        var first = Answer(messages, options);
        var call = Assert.Single(first.Messages[^1].Contents.OfType<FunctionCallContent>());
        messages.AddRange(first.Messages);
        messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(call.CallId, "three results")]));
        var second = Answer(messages, options);

        Assert.Equal(ChatFinishReason.ToolCalls, first.FinishReason);
        Assert.Equal("search", call.Name);
        Assert.Equal("rivers", ((JsonElement)call.Arguments!["query"]!).GetString());
        Assert.Equal("Found it.", second.Text);
        Assert.Equal(ChatFinishReason.Stop, second.FinishReason);
    }

    [Fact]
    public void A_request_without_tools_answers_as_usual_despite_a_script_of_calls_but_takes_its_text()
    {
        var quoting = Answer([new(ChatRole.User, """title for: sim-script: [[{"tool":"search"}]]""")], new ChatOptions());
        var text = Answer([new(ChatRole.User, """sim-script: ["Exactly this."]""")], new ChatOptions());

        Assert.Equal(ChatFinishReason.Stop, quoting.FinishReason);
        Assert.False(string.IsNullOrWhiteSpace(quoting.Text));
        Assert.Equal("Exactly this.", text.Text);
    }

    [Theory]
    [InlineData("""sim-script: [[{"tool":"delete_everything"}]]""", "delete_everything")]
    [InlineData("sim-script: [[{\"tool\": ", "not valid JSON")]
    [InlineData("""sim-script: {"tool":"search"}""", "JSON array")]
    public void A_broken_script_is_a_permanent_failure_that_says_what_is_wrong(string script, string says)
    {
        var e = Assert.Throws<SimulationRejectedException>(() => Answer([new(ChatRole.User, script)], new ChatOptions { Tools = [Search] }));

        Assert.False(e.Retryable);
        Assert.Contains(says, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_schema_demanding_a_hundred_million_items_is_refused_not_allocated()
    {
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"xs":{"type":"array","minItems":100000000}},"required":["xs"]}""").RootElement;

        var e = Assert.Throws<SimulationRejectedException>(() => SchemaSampler.Sample(schema, new Random(1)));

        Assert.Contains("minItems", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nested_schemas_within_each_bound_are_still_refused_past_the_total_bound()
    {
        var schema = JsonDocument.Parse("""{"type":"array","minItems":1000,"items":{"type":"array","minItems":1000,"items":{"type":"integer"}}}""").RootElement;

        Assert.Throws<SimulationRejectedException>(() => SchemaSampler.Sample(schema, new Random(1)));
    }

    [Fact]
    public void Tool_definitions_are_metered_as_input_tokens()
    {
        List<ChatMessage> messages = [new(ChatRole.User, "find rivers")];

        var without = TokenCount.Prompt(messages, null);
        var with = TokenCount.Prompt(messages, new ChatOptions { Tools = [Search] });

        Assert.Equal(TokenCount.FromCharacters("find rivers".Length + "search".Length + "Searches".Length + Search.JsonSchema.GetRawText().Length), with);
        Assert.True(with > without);
    }
}
