using Microsoft.Extensions.AI;

namespace Fanout.Providers.Pools;

/// <summary>One step of a <c>fallback:</c> chain.</summary>
/// <param name="Provider">The provider to try.</param>
/// <param name="Model">The model to ask for (null: that provider's default).</param>
public sealed record FallbackTarget(string Provider, string? Model);

/// <summary>
/// Tries the provider's own client, then each <c>fallback:</c> provider/model in turn when a call fails because the
/// prompt does not fit the context window, or fails retryably on the task's last attempt (its retries are exhausted).
/// The answer says which provider and model produced it. Not Microsoft.Extensions.AI's <c>FailoverChatClient</c>: that
/// moves on after any failure and keeps the request's model, where a step here names its own model and steps in only
/// for those two failures.
/// </summary>
internal sealed class FallbackChatClient(IChatClient inner, IReadOnlyList<FallbackTarget> chain, Func<string, (IChatClient Client, string? Model)> resolve)
    : WholeResponseChatClient
{
    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? [.. messages];
        try
        {
            return await inner.GetResponseAsync(list, options, cancellationToken);
        }
        catch (TaskFailedException first) when (ShouldFallBack(first, options))
        {
            var last = first;
            foreach (var step in chain)
            {
                var (client, defaultModel) = resolve(step.Provider);
                var model = step.Model ?? defaultModel;
                var stepOptions = options?.Clone() ?? new ChatOptions();
                stepOptions.ModelId = model;
                try
                {
                    var response = await client.GetResponseAsync(list, stepOptions, cancellationToken);
                    response.AdditionalProperties ??= [];
                    response.AdditionalProperties[PromptExecutor.ProviderProperty] = step.Provider;
                    response.AdditionalProperties[PromptExecutor.ModelProperty] = model;
                    return response;
                }
                catch (TaskFailedException e) when (ShouldFallBack(e, options))
                {
                    last = e;
                }
            }

            throw new TaskFailedException($"{last.Message} (fallback chain exhausted: {string.Join(" → ", chain.Select(s => s.Provider + "/" + s.Model))})",
                last.Retryable, last, last.Tokens, last.CostUsd);
        }
    }

    private static bool ShouldFallBack(TaskFailedException e, ChatOptions? options) =>
        e is ContextWindowException
        || (e.Retryable && options?.AdditionalProperties?.TryGetValue(PromptExecutor.FinalAttemptProperty, out var final) == true && final is true);
}
