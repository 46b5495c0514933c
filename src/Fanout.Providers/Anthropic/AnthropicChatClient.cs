using System.Net;
using System.Runtime.CompilerServices;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Fanout.Providers.OpenAI;
using Fanout.Providers.Pools;
using Microsoft.Extensions.AI;

namespace Fanout.Providers.Anthropic;

/// <summary>
/// <see cref="IChatClient"/> for Anthropic's Messages API: the official SDK's own adapter (<c>AsIChatClient</c>) with
/// its retries off (the scheduler retries) and its errors mapped to task failures that never carry the key:
/// 400/401/403/404/422 are final, 408/409/429/5xx and network errors may succeed on retry.
/// </summary>
public sealed class AnthropicChatClient : DelegatingChatClient
{
    /// <summary>Anthropic requires a cap on output tokens; this one applies when the task sets none.</summary>
    public const int DefaultMaxOutputTokens = 4096;

    private readonly string _secret;

    /// <summary>A client for <paramref name="baseUrl"/> (null: api.anthropic.com) authenticated with <paramref name="apiKey"/>.</summary>
    public AnthropicChatClient(string apiKey, Uri? baseUrl = null, string? defaultModel = null)
        : this(apiKey, baseUrl, defaultModel, httpClient: null)
    {
    }

    internal AnthropicChatClient(string apiKey, Uri? baseUrl, string? defaultModel, HttpClient? httpClient)
        : base(Create(apiKey, baseUrl, defaultModel, httpClient))
    {
        _secret = apiKey;
    }

    /// <summary>A client whose responses' rate-limit headers go to <paramref name="headers"/>.</summary>
    internal AnthropicChatClient(string apiKey, Uri? baseUrl, string? defaultModel, RateHeaderSink headers)
        : this(apiKey, baseUrl, defaultModel, new HttpClient(new RateHeaderHandler(headers)))
    {
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken);
        }
        catch (AnthropicApiException e)
        {
            throw Map(e, _secret);
        }
        catch (AnthropicIOException e)
        {
            throw new TaskFailedException($"Anthropic request failed: {OpenAIErrors.Scrub(e.Message, _secret)}", retryable: true);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TaskFailedException("Anthropic request timed out (no response within the network timeout)", retryable: true);
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    internal static TaskFailedException Map(AnthropicApiException e, string secret)
    {
        var status = (int)e.StatusCode;
        var detail = OpenAIErrors.Scrub(OpenAIErrors.ProviderMessage(e.ResponseBody) ?? e.Message, secret);
        var message = $"Anthropic HTTP {status}: {detail}";
        return e.StatusCode switch
        {
            HttpStatusCode.TooManyRequests => new RateLimitedException(message),
            HttpStatusCode.Unauthorized => new KeyRejectedException(message),
            HttpStatusCode.BadRequest when ContextWindowException.Matches(null, detail) => new ContextWindowException(message),
            _ => new TaskFailedException(message, retryable: status is 408 or 409 or >= 500),
        };
    }

    private static IChatClient Create(string apiKey, Uri? baseUrl, string? defaultModel, HttpClient? httpClient)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        var options = new ClientOptions { ApiKey = apiKey, MaxRetries = 0 };
        if (baseUrl is not null)
        {
            options.BaseUrl = baseUrl.ToString().TrimEnd('/');
        }

        if (httpClient is not null)
        {
            options.HttpClient = httpClient;
        }

        return new AnthropicClient(options).AsIChatClient(defaultModel, DefaultMaxOutputTokens);
    }
}
