namespace Fanout;

/// <summary>
/// A provider refused the call for rate limiting (HTTP 429 or its simulation). Retryable; the scheduler can count
/// these for the report's <c>rate_limited</c> and honour <see cref="RetryAfter"/>.
/// </summary>
public sealed class RateLimitedException : TaskFailedException
{
    /// <summary>Creates the exception.</summary>
    public RateLimitedException(string message, TimeSpan? retryAfter = null, Exception? inner = null)
        : base(message, retryable: true, inner)
    {
        RetryAfter = retryAfter;
    }

    /// <summary>How long the provider asked to wait, when it said.</summary>
    public TimeSpan? RetryAfter { get; }
}
