using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Fanout.Providers.Tokens;

/// <summary>Tokens counted without a tokenizer, the way providers count a request before tokenising it.</summary>
internal static class TokenCount
{
    /// <summary>Characters / 4, rounded up.</summary>
    public static long FromCharacters(long characters) => (characters + 3) / 4;

    /// <summary>The characters a chat prompt is metered by: every message's text, plus the schema's JSON text.</summary>
    public static long PromptCharacters(IEnumerable<ChatMessage> messages, JsonElement? schema) =>
        messages.Sum(m => (long)m.Text.Length) + (schema?.GetRawText().Length ?? 0);
}
