using Microsoft.Extensions.AI;
using OpenAIChat = OpenAI.Chat;

namespace Fanout.Providers.OpenAI;

/// <summary>
/// JSON output as a task asks for it, on top of Microsoft.Extensions.AI.OpenAI's mapping. A schema goes to the server
/// exactly as the plan wrote it, as <c>json_schema</c> without <c>strict</c>: the adapter would rewrite it for
/// OpenAI's strict mode (every property required, no additional properties), which changes what the model may
/// answer — a free-form <c>{"type": "object"}</c> could then only be <c>{}</c> — while Fanout validates the answer
/// against the schema as written. JSON mode without a schema, which OpenAI refuses unless a message mentions JSON,
/// gets a first system message saying so when none does.
/// </summary>
internal static class OpenAIJsonOutput
{
    /// <summary>The instruction added to JSON-mode requests whose messages never mention JSON.</summary>
    public const string Instruction = "Respond with a JSON object.";

    /// <summary>Adds the middleware to <paramref name="builder"/>.</summary>
    public static ChatClientBuilder UseOpenAIJsonOutput(this ChatClientBuilder builder) =>
        builder.Use((messages, options, inner, cancellationToken) => options?.ResponseFormat switch
        {
            ChatResponseFormatJson { Schema: { } schema } json => inner.GetResponseAsync(messages, WithFormat(options,
                OpenAIChat.ChatResponseFormat.CreateJsonSchemaFormat(json.SchemaName ?? "output", BinaryData.FromString(schema.GetRawText()), json.SchemaDescription)),
                cancellationToken),
            ChatResponseFormatJson when !messages.Any(m => m.Text.Contains("json", StringComparison.OrdinalIgnoreCase)) =>
                inner.GetResponseAsync([new ChatMessage(ChatRole.System, Instruction), .. messages], options, cancellationToken),
            _ => inner.GetResponseAsync(messages, options, cancellationToken),
        }, getStreamingResponseFunc: null);

    /// <summary><paramref name="options"/> whose SDK options start with <paramref name="format"/>; the adapter only fills what is unset.</summary>
    private static ChatOptions WithFormat(ChatOptions options, OpenAIChat.ChatResponseFormat format)
    {
        var copy = options.Clone();
        var previous = options.RawRepresentationFactory;
        copy.RawRepresentationFactory = client =>
        {
            var raw = previous?.Invoke(client) as OpenAIChat.ChatCompletionOptions ?? new OpenAIChat.ChatCompletionOptions();
            raw.ResponseFormat ??= format;
            return raw;
        };
        return copy;
    }
}
