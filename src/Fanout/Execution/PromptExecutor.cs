using System.Text.Json;
using Fanout.Templates;
using Microsoft.Extensions.AI;

namespace Fanout;

/// <summary>
/// Runs <see cref="PromptBody"/> tasks through the chat client the resolver picks: renders the messages, asks for
/// JSON (with the task's schema) when the task wants JSON, parses the answer and accounts tokens and cost.
/// </summary>
public sealed class PromptExecutor(IChatClientResolver resolver) : ITaskExecutor
{
    /// <summary>Start of the error message for an answer that is not JSON; a retry quotes it back to the model.</summary>
    internal const string InvalidJsonMessage = "response is not valid JSON";

    private const int QuotedErrorLength = 300;

    private readonly IChatClientResolver _resolver = resolver ?? throw new ArgumentNullException(nameof(resolver));

    /// <inheritdoc />
    public string Kind => "prompt";

    /// <inheritdoc />
    public async ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = (PromptBody)context.Task.Body;
        var target = Resolve(body, context.Plan);
        var json = body.Output == OutputFormat.Json || body.Schema is not null;
        var messages = Messages(body, context, json);
        var options = new ChatOptions
        {
            ModelId = target.Model,
            Temperature = body.Temperature is { } t ? (float)t : null,
            MaxOutputTokens = body.MaxTokens,
            ResponseFormat = !json ? null
                : body.Schema is { } schema ? ChatResponseFormat.ForJsonSchema(schema, SchemaName(context.Task.Id))
                : ChatResponseFormat.Json,
        };

        var response = await target.Client.GetResponseAsync(messages, options, cancellationToken);
        var tokens = Tokens(response.Usage);
        var cost = tokens is { } used ? target.Price?.Cost(used) : null;
        var output = json
            ? ParseJson(response.Text, tokens, cost)
            : JsonSerializer.SerializeToElement(response.Text);
        return new TaskResult
        {
            Output = output,
            Tokens = tokens,
            CostUsd = cost,
            Provider = target.Provider,
            Model = target.Model,
            Key = target.Key,
            Details = JsonSerializer.SerializeToElement(new Dictionary<string, string?>
            {
                ["finish_reason"] = response.FinishReason?.Value,
            }),
        };
    }

    private ChatTarget Resolve(PromptBody body, PlanDefinition plan)
    {
        try
        {
            return _resolver.Resolve(body.Provider ?? plan.Defaults.Provider, body.Model ?? plan.Defaults.Model);
        }
        catch (Exception e) when (e is not OperationCanceledException and not TaskFailedException)
        {
            // An unknown provider or model will not appear by retrying.
            throw new TaskFailedException(e.Message, retryable: false, e);
        }
    }

    private static List<ChatMessage> Messages(PromptBody body, TaskContext context, bool json)
    {
        string? system;
        string prompt;
        try
        {
            system = body.System is null ? null : context.Render(body.System);
            prompt = context.Render(body.Prompt);
        }
        catch (TemplateException e)
        {
            throw new TaskFailedException($"prompt: {e.Message}", retryable: false, e);
        }

        if (json && context.PreviousError is { } previous && previous.Contains(InvalidJsonMessage, StringComparison.Ordinal))
        {
            // The last answer was malformed: tell the model what went wrong so the retry can fix it.
            var quoted = previous.Length <= QuotedErrorLength ? previous : previous[..QuotedErrorLength] + "…";
            prompt += $"\n\nYour previous answer could not be parsed ({quoted}). Reply with only valid JSON"
                + (body.Schema is null ? "." : " that follows the schema.");
        }

        var messages = new List<ChatMessage>(2);
        if (!string.IsNullOrEmpty(system))
        {
            messages.Add(new ChatMessage(ChatRole.System, system));
        }

        messages.Add(new ChatMessage(ChatRole.User, prompt));
        return messages;
    }

    private static TokenUsage? Tokens(UsageDetails? usage) => usage is null
        ? null
        : new TokenUsage(usage.InputTokenCount ?? 0, usage.OutputTokenCount ?? 0, usage.CachedInputTokenCount ?? 0);

    private static JsonElement ParseJson(string text, TokenUsage? tokens, decimal? cost)
    {
        var trimmed = StripFences(text);
        try
        {
            using var document = JsonDocument.Parse(trimmed);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            var start = trimmed.Length <= 80 ? trimmed : trimmed[..80] + "…";
            throw new TaskFailedException($"{InvalidJsonMessage}: {e.Message} (response starts with: {start})", retryable: true, e, tokens, cost);
        }
    }

    /// <summary>Models often wrap JSON in a Markdown code fence (<c>```json … ```</c>); take what is inside.</summary>
    internal static string StripFences(string text)
    {
        var trimmed = text.Trim();
        if (!trimmed.StartsWith("```", StringComparison.Ordinal))
        {
            return trimmed;
        }

        var firstLine = trimmed.IndexOf('\n', StringComparison.Ordinal);
        if (firstLine < 0)
        {
            return trimmed;
        }

        var inner = trimmed[(firstLine + 1)..];
        var close = inner.LastIndexOf("```", StringComparison.Ordinal);
        return (close >= 0 ? inner[..close] : inner).Trim();
    }

    /// <summary>Providers accept schema names of letters, digits, <c>_</c> and <c>-</c>, at most 64 characters.</summary>
    private static string SchemaName(string taskId)
    {
        var name = new string([.. taskId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_')]);
        return name.Length > 64 ? name[..64] : name;
    }
}
