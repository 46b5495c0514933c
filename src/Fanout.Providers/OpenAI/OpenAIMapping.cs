using Microsoft.Extensions.AI;
using OpenAIChat = OpenAI.Chat;

namespace Fanout.Providers.OpenAI;

/// <summary>Maps Microsoft.Extensions.AI requests and responses to and from the OpenAI SDK's chat types.</summary>
internal static class OpenAIMapping
{
    public static (List<OpenAIChat.ChatMessage> Messages, OpenAIChat.ChatCompletionOptions Options) ToOpenAI(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var list = messages.Select(ToOpenAI).ToList();
        var result = new OpenAIChat.ChatCompletionOptions
        {
            Temperature = options?.Temperature,
            MaxOutputTokenCount = options?.MaxOutputTokens,
        };
        switch (options?.ResponseFormat)
        {
            case ChatResponseFormatJson { Schema: { } schema } json:
                result.ResponseFormat = OpenAIChat.ChatResponseFormat.CreateJsonSchemaFormat(
                    json.SchemaName ?? "output", BinaryData.FromString(schema.GetRawText()), json.SchemaDescription, jsonSchemaIsStrict: null);
                break;
            case ChatResponseFormatJson:
                result.ResponseFormat = OpenAIChat.ChatResponseFormat.CreateJsonObjectFormat();
                // JSON mode is refused unless a message mentions JSON.
                if (!list.Any(m => m.Content.Any(p => p.Text?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)))
                {
                    list.Insert(0, new OpenAIChat.SystemChatMessage("Respond with a JSON object."));
                }

                break;
        }

        return (list, result);
    }

    public static ChatResponse FromOpenAI(OpenAIChat.ChatCompletion completion)
    {
        var text = string.Concat(completion.Content.Where(p => p.Kind == OpenAIChat.ChatMessageContentPartKind.Text).Select(p => p.Text));
        var usage = completion.Usage;
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ResponseId = completion.Id,
            ModelId = completion.Model,
            CreatedAt = completion.CreatedAt,
            FinishReason = completion.FinishReason switch
            {
                OpenAIChat.ChatFinishReason.Stop => ChatFinishReason.Stop,
                OpenAIChat.ChatFinishReason.Length => ChatFinishReason.Length,
                OpenAIChat.ChatFinishReason.ContentFilter => ChatFinishReason.ContentFilter,
                _ => ChatFinishReason.ToolCalls,
            },
            Usage = usage is null ? null : new UsageDetails
            {
                InputTokenCount = usage.InputTokenCount,
                OutputTokenCount = usage.OutputTokenCount,
                TotalTokenCount = usage.TotalTokenCount,
                CachedInputTokenCount = usage.InputTokenDetails?.CachedTokenCount,
                ReasoningTokenCount = usage.OutputTokenDetails?.ReasoningTokenCount,
            },
        };
    }

    private static OpenAIChat.ChatMessage ToOpenAI(ChatMessage message)
    {
        var text = message.Text;
        return message.Role == ChatRole.System ? new OpenAIChat.SystemChatMessage(text)
            : message.Role == ChatRole.Assistant ? new OpenAIChat.AssistantChatMessage(text)
            : new OpenAIChat.UserChatMessage(text);
    }
}
