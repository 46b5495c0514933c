using System.Text.Json;
using Fanout.Templates;
using Microsoft.Extensions.AI;

namespace Fanout;

/// <summary>
/// Runs <see cref="PromptBody"/> tasks through the chat client the resolver picks: renders the messages, asks for
/// JSON (with the task's schema) when the task wants JSON, parses the answer, validates it against the schema locally
/// (providers' structured output is not a guarantee) and accounts tokens and cost. A retry after invalid JSON or a
/// schema violation tells the model what was wrong (the repair note); the task's retry policy bounds those retries.
/// A task with <c>tools:</c> loops: the model's calls of each round run as one tool batch, made runnable by
/// <paramref name="tools"/> (Fanout.Execution's <c>PlanTools.Create</c>), until it answers (PromptExecutor.Tools.cs).
/// </summary>
/// <param name="resolver">Picks the chat client of a task's provider and model.</param>
/// <param name="tools">Makes a plan's tool definition runnable; null: prompt tasks with tools fail.</param>
public sealed partial class PromptExecutor(IChatClientResolver resolver, Func<ToolDefinition, Tools.ToolRegistration>? tools = null) : ITaskExecutor, ICacheableExecutor
{
    /// <summary>Start of the error message for an answer that is not JSON; a retry quotes it back to the model.</summary>
    internal const string InvalidJsonMessage = "response is not valid JSON";

    /// <summary>Start of the error message for JSON that does not match the task's schema; a retry quotes the errors back.</summary>
    internal const string SchemaMismatchMessage = "output does not match the schema";

    /// <summary><see cref="ChatOptions.AdditionalProperties"/> entry carrying the task instance id, for sticky key routing.</summary>
    public const string StickyKeyProperty = "fanout.sticky_key";

    /// <summary><see cref="ChatOptions.AdditionalProperties"/> entry set to true on the task's last attempt (a <c>fallback:</c> chain may then step in).</summary>
    public const string FinalAttemptProperty = "fanout.final_attempt";

    /// <summary><see cref="ChatResponse.AdditionalProperties"/> entry naming the key alias that answered.</summary>
    public const string KeyAliasProperty = "fanout.key";

    /// <summary><see cref="ChatResponse.AdditionalProperties"/> entry naming the provider that answered, when a fallback did.</summary>
    public const string ProviderProperty = "fanout.provider";

    /// <summary><see cref="ChatResponse.AdditionalProperties"/> entry naming the model that answered, when a fallback did.</summary>
    public const string ModelProperty = "fanout.model";

    /// <summary><see cref="ChatResponse.AdditionalProperties"/> entry holding how long the request was held by rate limits (a <see cref="TimeSpan"/>).</summary>
    public const string HeldProperty = "fanout.held";

    private const int QuotedErrorLength = 300;

    // Schema errors are the repair instructions themselves, so more of them are quoted than of a parser message.
    private const int QuotedSchemaErrorsLength = 1500;

    // A badly wrong answer can break hundreds of rules; the first few are enough to repair it and to read in a report.
    private const int ListedSchemaErrors = 10;

    private readonly IChatClientResolver _resolver = resolver ?? throw new ArgumentNullException(nameof(resolver));

    /// <inheritdoc />
    public string Kind => "prompt";

    /// <inheritdoc />
    public async ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = (PromptBody)context.Task.Body;
        var (schema, schemaError) = SchemaCache.For(body);
        if (schemaError is not null)
        {
            // The schema will be just as invalid next time: fail before paying for a call.
            throw new TaskFailedException($"output schema is invalid: {schemaError}", retryable: false);
        }

        var target = Resolve(body, context.Plan);
        var json = body.Output == OutputFormat.Json || body.Schema is not null;
        var messages = Messages(body, context, json);
        var options = new ChatOptions
        {
            ModelId = target.Model,
            Temperature = body.Temperature is { } t ? (float)t : null,
            MaxOutputTokens = body.MaxTokens,
            ResponseFormat = !json ? null
                : body.Schema is { } raw ? ChatResponseFormat.ForJsonSchema(raw, SchemaName(context.Task.Id))
                : ChatResponseFormat.Json,
            AdditionalProperties = new()
            {
                [StickyKeyProperty] = context.InstanceId,
                [FinalAttemptProperty] = context.Attempt >= (context.Task.Retry ?? context.Plan.Defaults.Retry).MaxAttempts,
            },
        };

        // A tool loop needs each answer before its next request, so it never waits for a batch.
        var batch = body.Tools.IsEmpty && target.BatchClient is not null && BatchSlack.UsesBatch(context.Plan, context.Task);
        var (response, tokens, cost, answered, held, toolLog) = body.Tools.IsEmpty
            ? await AnswerAsync(batch ? target with { Client = target.BatchClient! } : target, messages, options, cancellationToken, batch)
            : await AnswerWithToolsAsync(body, context, target, messages, options, cancellationToken);
        var output = json
            ? ParseJson(response.Text, tokens, cost)
            : JsonSerializer.SerializeToElement(response.Text);
        if (schema is not null)
        {
            CheckSchema(schema, output, tokens, cost);
        }

        return new TaskResult
        {
            Output = output,
            Tokens = tokens,
            CostUsd = cost,
            Provider = answered.Provider,
            Model = answered.Model,
            Key = Answered(response, KeyAliasProperty) ?? target.Key,
            Held = held,
            Details = JsonSerializer.SerializeToElement(toolLog is null
                ? batch
                    ? new Dictionary<string, object?> { ["finish_reason"] = response.FinishReason?.Value, ["batch"] = true }
                    : new Dictionary<string, object?> { ["finish_reason"] = response.FinishReason?.Value }
                : new Dictionary<string, object?>
                {
                    ["finish_reason"] = response.FinishReason?.Value,
                    ["tool_rounds"] = toolLog.Rounds,
                    ["tool_calls"] = toolLog.Calls,
                }),
        };
    }

    /// <summary>One request, its tokens and cost priced for whoever answered.</summary>
    private async Task<Answer> AnswerAsync(ChatTarget target, List<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken, bool batch = false)
    {
        var response = await target.Client.GetResponseAsync(messages, options, cancellationToken);
        var tokens = Tokens(response.Usage);
        var answered = Answered(response, ProviderProperty) is { } fallback ? _resolver.Resolve(fallback, Answered(response, ModelProperty)) : target;
        var cost = tokens is { } used ? answered.Price?.Cost(used, batch) : null;
        var held = response.AdditionalProperties?.TryGetValue(HeldProperty, out var value) == true && value is TimeSpan h ? h : TimeSpan.Zero;
        return new(response, tokens, cost, answered, held, null);
    }

    /// <summary>The model's final response with the tokens, cost and rate-limit hold of every request it took;
    /// <c>Tools</c> is the tool log when the task has tools.</summary>
    private sealed record Answer(ChatResponse Response, TokenUsage? Tokens, decimal? Cost, ChatTarget Answered, TimeSpan Held, ToolLog? Tools);

    private static string? Answered(ChatResponse response, string property) =>
        response.AdditionalProperties?.TryGetValue(property, out var value) == true ? value as string : null;

    /// <summary>
    /// Fails the attempt, retryably, when <paramref name="output"/> breaks the schema: the message lists where and why
    /// (<c>/pages/2/title: must be string, got integer</c>), so the report shows it and the repair note can quote it.
    /// </summary>
    private static void CheckSchema(CompiledSchema schema, JsonElement output, TokenUsage? tokens, decimal? cost)
    {
        var errors = schema.Validate(output);
        if (errors.Count > 0)
        {
            throw new TaskFailedException($"{SchemaMismatchMessage}: {SchemaError.Summarize(errors, ListedSchemaErrors)}", retryable: true, null, tokens, cost);
        }
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
        else if (json && body.Schema is not null && context.PreviousError is { } mismatch
                 && mismatch.StartsWith(SchemaMismatchMessage, StringComparison.Ordinal))
        {
            // The last answer was JSON of the wrong shape: quote the located errors so the model can fix exactly those.
            var errors = mismatch[SchemaMismatchMessage.Length..].TrimStart(':', ' ');
            var quoted = errors.Length <= QuotedSchemaErrorsLength ? errors : errors[..QuotedSchemaErrorsLength] + "…";
            prompt += $"\n\nYour previous answer did not match the schema. Errors (JSON pointer: problem): {quoted}. "
                + "Reply with only the corrected JSON, following the schema.";
        }

        else if (json && context.PreviousError is { } broken
                 && broken.StartsWith("contract '", StringComparison.Ordinal)
                 && broken.IndexOf(ContractChecker.ViolatedMarker, StringComparison.Ordinal) is var at and >= 0)
        {
            // The last answer broke a contract with a downstream task: quote the located errors the same way.
            var errors = broken[(at + ContractChecker.ViolatedMarker.Length)..];
            var quoted = errors.Length <= QuotedSchemaErrorsLength ? errors : errors[..QuotedSchemaErrorsLength] + "…";
            prompt += $"\n\nYour previous answer broke the contract other tasks rely on. Errors (JSON pointer: problem): {quoted}. "
                + "Reply with only the corrected JSON.";
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
