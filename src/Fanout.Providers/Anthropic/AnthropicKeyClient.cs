using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Fanout.Providers.Pools;
using Microsoft.Extensions.AI;

namespace Fanout.Providers.Anthropic;

/// <summary>
/// The chat client of one Anthropic key: the official SDK's own <see cref="IChatClient"/> adapter (<c>AsIChatClient</c>)
/// with its retries off (the scheduler and the pool retry), every response's rate-limit headers reported to the key's
/// pool, and its errors turned into task failures that never carry the key (see <see cref="ProviderErrors"/>).
/// </summary>
internal static class AnthropicKeyClient
{
    /// <summary>Anthropic requires a cap on output tokens; this one applies when the task sets none.</summary>
    public const int DefaultMaxOutputTokens = 4096;

    private const string Provider = "Anthropic";

    /// <summary>
    /// A client for <paramref name="baseUrl"/> (the API root without a version; null: api.anthropic.com) reporting
    /// each response's headers to <paramref name="headers"/>; <paramref name="httpClient"/> replaces the SDK's in tests.
    /// </summary>
    public static IChatClient Create(KeyIdentity key, Uri? baseUrl, string? defaultModel, RateHeaderSink? headers = null, HttpClient? httpClient = null)
    {
        var options = new ClientOptions { ApiKey = key.Secret, MaxRetries = 0 };
        if (baseUrl is not null)
        {
            options.BaseUrl = baseUrl.ToString().TrimEnd('/');
        }

        if (httpClient is not null)
        {
            options.HttpClient = httpClient;
        }

        if (headers is not null)
        {
            options.Handlers = [new RateHeaderHandler(headers)];
        }

        return new AnthropicClient(options).AsIChatClient(defaultModel, DefaultMaxOutputTokens)
            .AsBuilder()
            .UseTaskFailures((e, cancellationToken) => Classify(e, key, cancellationToken))
            .Build();
    }

    /// <summary>The task failure <paramref name="e"/> stands for, or null when it is not the SDK's to explain.</summary>
    internal static TaskFailedException? Classify(Exception e, KeyIdentity key, CancellationToken cancellationToken) => e switch
    {
        // The SDK's exception keeps no headers; a 429's wait reaches the pool through the rate-header handler.
        AnthropicApiException api => ProviderErrors.FromStatus(Provider, key, (int)api.StatusCode, api.ResponseBody, api.Message, header: null),
        AnthropicIOException => ProviderErrors.Network(Provider, key, e.Message),
        OperationCanceledException when !cancellationToken.IsCancellationRequested => ProviderErrors.TimedOut(Provider),
        _ => null,
    };
}
