using Fanout.Storage;

namespace Fanout;

public sealed partial class PromptExecutor
{
    /// <summary>Kind, declared provider and model, sampling parameters, output format and schema, and the rendered
    /// messages exactly as they would be sent (a retry's repair note included). A prompt with tools is never cached:
    /// a hit would skip the tools' effects.</summary>
    public string? CacheKey(TaskContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = (PromptBody)context.Task.Body;
        if (!body.Tools.IsEmpty)
        {
            return null;
        }

        var json = body.Output == OutputFormat.Json || body.Schema is not null;
        List<Microsoft.Extensions.AI.ChatMessage> messages;
        try
        {
            messages = Messages(body, context, json);
        }
        catch (TaskFailedException)
        {
            return null;
        }

        return ContentHash.OfParts([
            Kind,
            body.Provider ?? context.Plan.Defaults.Provider,
            body.Model ?? context.Plan.Defaults.Model,
            body.Temperature?.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            body.MaxTokens?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            json ? "json" : "text",
            body.Schema?.GetRawText(),
            .. messages.SelectMany(m => new[] { m.Role.Value, m.Text }),
        ]);
    }
}
