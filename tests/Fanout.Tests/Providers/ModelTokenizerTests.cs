using Fanout.Providers.Tokens;
using Microsoft.Extensions.AI;

namespace Fanout.Tests.Providers;

/// <summary>Token counts with each model's own tokenizer (Microsoft.ML.Tokenizers), as <c>fanout estimate</c> predicts them.</summary>
public class ModelTokenizerTests
{
    // o200k_base and cl100k_base split it differently; characters / 4 would say 4.
    private const string Mixed = "Ünïcödé 你好世界 🎉";

    [Fact]
    public void A_known_string_has_the_tokenizers_count_not_characters_over_four() =>
        Assert.Equal(6, ModelTokenizer.Count("gpt-4o", "tiktoken is great!"));

    [Theory]
    [InlineData("gpt-4o", 10)]         // o200k_base
    [InlineData("gpt-4o-mini", 10)]
    [InlineData("gpt-4.1-mini", 10)]
    [InlineData("o3", 10)]
    [InlineData("gpt-5", 10)]
    [InlineData("gpt-4", 16)]          // cl100k_base
    [InlineData("gpt-3.5-turbo", 16)]
    public void Openai_models_count_exactly_with_their_familys_encoding(string model, int tokens)
    {
        Assert.True(ModelTokenizer.IsExact(model));
        Assert.Equal(tokens, ModelTokenizer.Count(model, Mixed));
    }

    [Theory]
    [InlineData("claude-sonnet-4-20250514")]
    [InlineData("llama3.1")]
    public void Anthropic_and_unknown_models_are_approximated_with_o200k(string model)
    {
        Assert.False(ModelTokenizer.IsExact(model));
        Assert.Equal(10, ModelTokenizer.Count(model, Mixed));
    }

    [Fact]
    public void A_chat_prompt_counts_every_message_with_its_framing_the_reply_priming_and_the_schema()
    {
        var schema = System.Text.Json.JsonDocument.Parse("""{"type":"object"}""").RootElement;
        ChatMessage[] messages = [new(ChatRole.System, "You are brief."), new(ChatRole.User, "tiktoken is great!")];

        var tokens = ModelTokenizer.CountPrompt("gpt-4o", messages, schema);

        Assert.Equal(3 + ModelTokenizer.Count("gpt-4o", "You are brief.") + 3 + 6 + 3 + ModelTokenizer.Count("gpt-4o", """{"type":"object"}"""), tokens);
    }
}
