namespace Fanout.Providers.Pools;

/// <summary>The provider refused the key itself (HTTP 401): the pool disables that key for the run.</summary>
internal sealed class KeyRejectedException(string message) : TaskFailedException(message, retryable: false);

/// <summary>The prompt does not fit the model's context window: retrying is pointless, a <c>fallback:</c> model may fit it.</summary>
internal sealed class ContextWindowException(string message) : TaskFailedException(message, retryable: false)
{
    /// <summary>Whether a provider's 400 message is about the context window (OpenAI, Anthropic and compatible servers word it so).</summary>
    public static bool Matches(string? code, string message) =>
        code == "context_length_exceeded"
        || message.Contains("context length", StringComparison.OrdinalIgnoreCase)
        || message.Contains("context window", StringComparison.OrdinalIgnoreCase)
        || message.Contains("prompt is too long", StringComparison.OrdinalIgnoreCase);
}
