using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Fanout.Providers.Tokens;

/// <summary>Tokens counted without a tokenizer, the way providers count a request before tokenising it.</summary>
public static class TokenCount
{
    // Anthropic's vision guide: tokens ≈ width × height / 750, images scaled to about 1.15 megapixels (~1,600
    // tokens) first. An image whose size cannot be read is counted at that ceiling, as a large image would be.
    private const long PixelsPerToken = 750;
    private const long MaxImageTokens = 1600;

    /// <summary>Characters / 4, rounded up.</summary>
    public static long FromCharacters(long characters) => (characters + 3) / 4;

    /// <summary>The characters a chat prompt is metered by: every message's text, tool calls and results, plus the schema's JSON text.</summary>
    public static long PromptCharacters(IEnumerable<ChatMessage> messages, JsonElement? schema)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return messages.Sum(Characters) + (schema?.GetRawText().Length ?? 0);
    }

    /// <summary>
    /// The input tokens of a chat request, as a provider meters it before tokenising: characters / 4 over the
    /// messages (system included), tool calls and results, the response schema and every tool definition (name,
    /// description, parameter schema: agent CLIs send tens of kilobytes of them), plus each image's own count.
    /// </summary>
    public static long Prompt(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IList<ChatMessage> ?? [.. messages];
        var tools = (options?.Tools ?? []).Sum(t => (long)t.Name.Length + t.Description.Length
            + (t is AIFunctionDeclaration f ? f.JsonSchema.GetRawText().Length : 0));
        var characters = PromptCharacters(list, (options?.ResponseFormat as ChatResponseFormatJson)?.Schema) + tools;
        return FromCharacters(characters) + list.SelectMany(m => m.Contents).Sum(Image);
    }

    private static long Characters(ChatMessage message) => message.Text.Length + message.Contents.Sum(c => c switch
    {
        FunctionCallContent call => (long)call.Name.Length + (call.Arguments is null ? 0 : JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions).Length),
        FunctionResultContent result => result.Result switch
        {
            null => 0,
            string s => s.Length,
            var other => JsonSerializer.Serialize(other, AIJsonUtilities.DefaultOptions).Length,
        },
        _ => 0,
    });

    private static long Image(AIContent content) => content switch
    {
        DataContent data when data.HasTopLevelMediaType("image") => Size(data.Data.Span) is var (w, h)
            ? Math.Clamp(w * h / PixelsPerToken, 1, MaxImageTokens)
            : MaxImageTokens,
        UriContent uri when uri.HasTopLevelMediaType("image") => MaxImageTokens,
        _ => 0,
    };

    /// <summary>Width and height from a PNG's or GIF's header; null for other formats.</summary>
    private static (long Width, long Height)? Size(ReadOnlySpan<byte> bytes)
    {
        ReadOnlySpan<byte> png = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        if (bytes.Length >= 24 && bytes[..8].SequenceEqual(png))
        {
            return (BinaryPrimitives.ReadUInt32BigEndian(bytes[16..]), BinaryPrimitives.ReadUInt32BigEndian(bytes[20..]));
        }

        if (bytes.Length >= 10 && bytes[..3].SequenceEqual("GIF"u8))
        {
            return (BinaryPrimitives.ReadUInt16LittleEndian(bytes[6..]), BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]));
        }

        return null;
    }
}
