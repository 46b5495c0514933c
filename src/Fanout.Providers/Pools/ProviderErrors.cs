using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Fanout.Providers.Pools;

/// <summary>
/// Turns a provider's failures into the task failures the key pool and the scheduler act on, the same way for every
/// SDK: 429 is a <see cref="RateLimitedException"/> (with the server's wait), 401 disables the key, a 400 about the
/// context window may fall back, other refusals of the request or the key's rights (400, 403, 404, 422) are
/// permanent and name the key's alias; otherwise the provider's <c>x-should-retry</c> decides when the SDK keeps
/// headers, else 408, 409, 5xx, network errors and timeouts may get better by retrying and other statuses will not. The provider's own message is kept (it says what is wrong), scrubbed of the key and of
/// anything key-shaped: OpenAI's 401 message quotes part of the key.
/// </summary>
internal static partial class ProviderErrors
{
    /// <summary>
    /// Adds the middleware that rethrows what <paramref name="classify"/> recognises as a task failure (anything
    /// else passes through). Streaming is served from the whole response, as everywhere in Fanout.
    /// </summary>
    public static ChatClientBuilder UseTaskFailures(this ChatClientBuilder builder, Func<Exception, CancellationToken, TaskFailedException?> classify) =>
        builder.Use(async (messages, options, inner, cancellationToken) =>
        {
            try
            {
                return await inner.GetResponseAsync(messages, options, cancellationToken);
            }
            catch (Exception e) when (classify(e, cancellationToken) is { } failure)
            {
                // Not chained: the SDK's exception text may quote the key.
                throw failure;
            }
        }, getStreamingResponseFunc: null);

    /// <summary>
    /// The failure for an HTTP error (status 0: the SDK got no response): <paramref name="fallback"/> (the SDK's
    /// message) is said when the body says nothing; <paramref name="header"/> reads the response's headers, when the
    /// SDK keeps them.
    /// </summary>
    public static TaskFailedException FromStatus(string provider, KeyIdentity key, int status, string? body, string fallback, Func<string, string?>? header)
    {
        var detail = Scrub(ProviderMessage(body) ?? fallback, key.Secret);
        var message = status == 0 ? $"{provider} request failed: {detail}" : $"{provider} HTTP {status}: {detail}";
        // The provider's own word on retrying (x-should-retry, which the official SDKs obey too) wins over the status.
        var retryable = header?.Invoke("x-should-retry") switch
        {
            "true" => true,
            "false" => false,
            _ => status is 0 or 408 or 409 or >= 500,
        };
        return status switch
        {
            429 => new RateLimitedException(message, header is null ? null : RateHeaders.RetryAfter(header, now: null)),
            401 => new KeyRejectedException($"{provider} HTTP 401 (key '{key.Alias}'): {detail}"),
            400 when ContextWindowException.Matches(ErrorCode(body), detail) => new ContextWindowException(message),
            // Refusals of the key's rights or of the request itself: the same request fails the same way again.
            400 or 403 or 404 or 422 => new TaskFailedException($"{provider} HTTP {status} (key '{key.Alias}'): {detail}", retryable: false),
            _ => new TaskFailedException(message, retryable),
        };
    }

    /// <summary>A connection that failed before any response: a retry may get through.</summary>
    public static TaskFailedException Network(string provider, KeyIdentity key, string message) =>
        new($"{provider} request failed: {Scrub(message, key.Secret)}", retryable: true);

    /// <summary>The SDK's network timeout (not the caller's cancellation): a retry may get through.</summary>
    public static TaskFailedException TimedOut(string provider) =>
        new($"{provider} request timed out (no response within the network timeout)", retryable: true);

    /// <summary><paramref name="text"/> with the key and anything key-shaped replaced by <c>***</c>.</summary>
    public static string Scrub(string text, string secret)
    {
        if (secret.Length > 0)
        {
            text = text.Replace(secret, "***", StringComparison.Ordinal);
        }

        return KeyShaped().Replace(text, "$1***");
    }

    /// <summary>The <c>error.message</c> (or string <c>error</c>) of a JSON error body, else the body's start.</summary>
    internal static string? ProviderMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        return Error(body) switch
        {
            { ValueKind: JsonValueKind.String } error => error.GetString(),
            { ValueKind: JsonValueKind.Object } error when error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String => m.GetString(),
            // Not an error object: a proxy's error page. Keep its start.
            _ => body.Length <= 300 ? body : body[..300] + "…",
        };
    }

    /// <summary>The <c>error.code</c> of an OpenAI-style error body, when there is one.</summary>
    internal static string? ErrorCode(string? body) =>
        Error(body) is { ValueKind: JsonValueKind.Object } error && error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
            ? code.GetString()
            : null;

    private static JsonElement? Error(string? body)
    {
        try
        {
            using var document = JsonDocument.Parse(body ?? "");
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error)
                ? error.Clone()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // sk-…, sk-proj-…, sk-ant-…, and masked forms such as sk-abc***wxyz.
    [GeneratedRegex(@"\b(sk-)[A-Za-z0-9_\-\*]{4,}")]
    private static partial Regex KeyShaped();
}

/// <summary>One key as its client knows it: the alias errors may name, the secret they must never show.</summary>
/// <param name="Alias">The name shown in reports and errors.</param>
/// <param name="Secret">The key itself.</param>
internal sealed record KeyIdentity(string Alias, string Secret)
{
    /// <inheritdoc />
    public override string ToString() => Alias;
}
