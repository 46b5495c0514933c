using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace Fanout.Providers.Tokens;

/// <summary>
/// Counts tokens with a model's own tokenizer: Microsoft.ML.Tokenizers' tiktoken, whose model table picks
/// <c>o200k_base</c> for gpt-4o, gpt-4.1, the o-series and gpt-5 and <c>cl100k_base</c> for gpt-4, gpt-3.5 and the
/// embedding models. Models it does not know — Anthropic's, whose tokenizer is not public, and any other — are
/// counted with <c>o200k_base</c> as an approximation (<see cref="IsExact"/> says which). Used by
/// <c>fanout estimate</c>; key-pool admission keeps characters / 4, as providers do. A vocabulary is loaded on first
/// use, once per process: it takes a few hundred milliseconds.
/// </summary>
public static class ModelTokenizer
{
    /// <summary>The encoding models the tokenizer does not know are approximated with.</summary>
    public const string Approximation = "o200k_base";

    // OpenAI's chat format wraps each message in a few tokens of its own and primes the reply with three more
    // (OpenAI's cookbook, "How to count tokens with tiktoken").
    private const int PerMessage = 3;
    private const int ReplyPriming = 3;

    private static readonly ConcurrentDictionary<string, Tokenizer?> Known = new(StringComparer.OrdinalIgnoreCase);
    private static readonly Lazy<Tokenizer> Fallback = new(() => TiktokenTokenizer.CreateForEncoding(Approximation));

    /// <summary>Whether <paramref name="model"/>'s tokens are counted exactly, not approximated with <see cref="Approximation"/>.</summary>
    public static bool IsExact(string model) => Own(model) is not null;

    /// <summary>The tokens of <paramref name="text"/> for <paramref name="model"/>.</summary>
    public static long Count(string model, string text) => (Own(model) ?? Fallback.Value).CountTokens(text);

    /// <summary>The prompt tokens of a chat request: each message with its framing, the reply's priming, and the schema's JSON text.</summary>
    public static long CountPrompt(string model, IEnumerable<ChatMessage> messages, JsonElement? schema)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return messages.Sum(m => PerMessage + Count(model, m.Text)) + ReplyPriming + (schema is { } s ? Count(model, s.GetRawText()) : 0);
    }

    private static Tokenizer? Own(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Known.GetOrAdd(model, static m =>
        {
            try
            {
                return TiktokenTokenizer.CreateForModel(m);
            }
            catch (NotSupportedException)
            {
                return null;
            }
        });
    }
}
