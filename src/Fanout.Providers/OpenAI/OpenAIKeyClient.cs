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
    /// <summary>A client for <paramref name="endpoint"/> (null: api.openai.com).</summary>
    /// <param name="key">The key and its alias.</param>
    /// <param name="endpoint">The API root including the version path (<c>…/v1</c>).</param>
    /// <param name="defaultModel">The model asked for when a request names none.</param>
    /// <param name="headers">Where each response's status and headers go, for the key's pool.</param>
    /// <param name="transport">The HTTP transport (tests); null: the SDK's.</param>
    public static IChatClient Create(KeyIdentity key, Uri? endpoint, string defaultModel, RateHeaderSink? headers = null, PipelineTransport? transport = null)
    {
        var options = new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 0) };
        if (endpoint is not null)
        {
            options.Endpoint = endpoint;
        }

        if (transport is not null)
        {
            options.Transport = transport;
        }

        if (headers is not null)
        {
            options.AddPolicy(new RateHeaderPolicy(headers), PipelinePosition.PerTry);
        }

        return new OpenAIClient(new ApiKeyCredential(key.Secret), options).GetChatClient(defaultModel).AsIChatClient()
            .AsBuilder()
            .UseTaskFailures((e, cancellationToken) => OpenAIErrors.Classify(e, key, cancellationToken))
            .UseOpenAIJsonOutput()
            .Build();
    }
}
