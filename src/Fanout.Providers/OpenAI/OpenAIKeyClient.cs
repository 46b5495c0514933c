using System.ClientModel;
using System.ClientModel.Primitives;
using Fanout.Providers.Pools;
using Microsoft.Extensions.AI;
using OpenAI;

namespace Fanout.Providers.OpenAI;

/// <summary>
/// The chat client of one OpenAI-compatible key: the official SDK's chat completions as Microsoft.Extensions.AI's
/// <see cref="IChatClient"/> (<c>AsIChatClient</c>, which maps messages, options, usage and finish reasons), with
/// Fanout's additions around it — task failures that never carry the key, JSON output as the task asked for it, and
/// every response's rate-limit headers reported to the key's pool. The SDK's own retries are off: the scheduler
/// and the pool retry, so every attempt is counted and backed off in one place.
/// </summary>
internal static class OpenAIKeyClient
{
    /// <summary>
    /// A client for <paramref name="endpoint"/> (the API root with its version path; null: api.openai.com) reporting
    /// each response's headers to <paramref name="headers"/>; <paramref name="http"/> replaces the socket handler in tests.
    /// </summary>
    public static IChatClient Create(KeyIdentity key, Uri? endpoint, string defaultModel, RateHeaderSink? headers = null, HttpMessageHandler? http = null)
    {
        http ??= new SocketsHttpHandler();
        // The SDK's network timeout applies, not HttpClient's.
        var client = new HttpClient(headers is null ? http : new RateHeaderHandler(headers) { InnerHandler = http }) { Timeout = Timeout.InfiniteTimeSpan };
        var options = new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 0), Transport = new HttpClientPipelineTransport(client) };
        if (endpoint is not null)
        {
            options.Endpoint = endpoint;
        }

        return new OpenAIClient(new ApiKeyCredential(key.Secret), options).GetChatClient(defaultModel).AsIChatClient()
            .AsBuilder()
            .UseTaskFailures((e, cancellationToken) => OpenAIErrors.Classify(e, key, cancellationToken))
            .UseOpenAIJsonOutput()
            .Build();
    }
}
