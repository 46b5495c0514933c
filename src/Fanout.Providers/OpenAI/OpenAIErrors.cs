using System.ClientModel;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fanout.Providers.Pools;

namespace Fanout.Providers.OpenAI;

/// <summary>
/// Turns HTTP errors from OpenAI-compatible servers into task failures: 400/401/403/404/422 will not get better by
/// retrying; 408, 409, 429 and 5xx may. The provider's own message is kept (it says what is wrong), with anything
/// that looks like a key masked: OpenAI's 401 message quotes part of the key.
/// </summary>
internal static partial class OpenAIErrors
{
    /// <summary>Runs one SDK call, turning its failures into task failures: HTTP errors by status, the SDK's own
    /// network timeout and transport errors as retryable. Shared by chat and images.</summary>
    public static async Task<T> Guard<T>(Func<Task<T>> call, string secret, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (ClientResultException e)
        {
            throw Map(e, secret);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The SDK's network timeout, not the caller's cancellation: a retry may get through.
            throw new TaskFailedException("OpenAI request timed out (no response within the network timeout)", retryable: true);
        }
        catch (HttpRequestException e)
        {
            throw new TaskFailedException($"OpenAI request failed: {Scrub(e.Message, secret)}", retryable: true);
        }
    }

    public static TaskFailedException Map(ClientResultException e, string secret)
    {
        var status = e.Status;
        var response = e.GetRawResponse();
        var detail = Scrub(ProviderMessage(response?.Content?.ToString()) ?? e.Message, secret);
        var message = status == 0 ? $"OpenAI request failed: {detail}" : $"OpenAI HTTP {status}: {detail}";
        if (status == 429)
        {
            return new RateLimitedException(message, RetryAfter(response));
        }

        if (status == 401)
        {
            return new KeyRejectedException(message);
        }

        if (status == 400 && ContextWindowException.Matches(ErrorCode(response?.Content?.ToString()), detail))
        {
            return new ContextWindowException(message);
        }

        var retryable = status is 0 or 408 or 409 or >= 500;
        return new TaskFailedException(message, retryable);
    }

    /// <summary><paramref name="text"/> with the key and anything key-shaped replaced by <c>***</c>.</summary>
    public static string Scrub(string text, string secret)
    {
        if (secret.Length > 0)
        {
            text = text.Replace(secret, "***", StringComparison.Ordinal);
        }

        return KeyShaped().Replace(text, "$1***");
    }

    internal static string? ProviderMessage(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error))
            {
                if (error.ValueKind == JsonValueKind.String)
                {
                    return error.GetString();
                }

                if (error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
                {
                    return m.GetString();
                }
            }
        }
        catch (JsonException)
        {
            // Not JSON: a proxy's error page. Keep its start.
        }

        return body.Length <= 300 ? body : body[..300] + "…";
    }

    private static TimeSpan? RetryAfter(System.ClientModel.Primitives.PipelineResponse? response) =>
        response is null ? null : RateHeaders.RetryAfter(name => response.Headers.TryGetValue(name, out var value) ? value : null, now: null);

    /// <summary>The <c>error.code</c> of an OpenAI-style error body, when there is one.</summary>
    internal static string? ErrorCode(string? body)
    {
        try
        {
            using var document = JsonDocument.Parse(body ?? "");
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
                ? code.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // sk-…, sk-proj-…, and masked forms such as sk-abc***wxyz.
    [GeneratedRegex(@"\b(sk-)[A-Za-z0-9_\-\*]{4,}")]
    private static partial Regex KeyShaped();
}
