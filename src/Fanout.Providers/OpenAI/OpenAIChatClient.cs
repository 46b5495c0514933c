using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Fanout.Providers.Pools;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAIChat = OpenAI.Chat;

namespace Fanout.Providers.OpenAI;

/// <summary>
/// <see cref="IChatClient"/> over the official OpenAI SDK's chat completions, for api.openai.com and
/// OpenAI-compatible servers. Stands in for Microsoft.Extensions.AI.OpenAI's adapter, which the package mirror lacks.
/// The SDK's own retries are off: the scheduler retries, so every attempt is counted and backed off in one place.
/// Errors become <see cref="TaskFailedException"/>s (see <see cref="OpenAIErrors"/>) that never carry the key.
/// </summary>
public sealed class OpenAIChatClient : WholeResponseChatClient
{
    private readonly ApiKeyCredential _credential;
    private readonly string _secret;
    private readonly OpenAIClientOptions _options;
    private readonly string _defaultModel;
    private readonly ConcurrentDictionary<string, OpenAIChat.ChatClient> _clients = new(StringComparer.Ordinal);

    /// <summary>A client for <paramref name="endpoint"/> (null: api.openai.com) authenticated with <paramref name="apiKey"/>.</summary>
    public OpenAIChatClient(string apiKey, Uri? endpoint = null, string defaultModel = "gpt-4o-mini")
        : this(apiKey, endpoint, defaultModel, transport: null)
    {
    }

    internal OpenAIChatClient(string apiKey, Uri? endpoint, string defaultModel, PipelineTransport? transport, RateHeaderSink? headers = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        _secret = apiKey;
        _credential = new ApiKeyCredential(apiKey);
        _defaultModel = defaultModel;
        _options = new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 0) };
        if (endpoint is not null)
        {
            _options.Endpoint = endpoint;
        }

        if (transport is not null)
        {
            _options.Transport = transport;
        }

        if (headers is not null)
        {
            _options.AddPolicy(new RateHeaderPolicy(headers), PipelinePosition.PerTry);
        }
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var model = options?.ModelId ?? _defaultModel;
        var client = _clients.GetOrAdd(model, m => new OpenAIChat.ChatClient(m, _credential, _options));
        var request = OpenAIMapping.ToOpenAI(messages, options);
        var result = await OpenAIErrors.Guard(() => client.CompleteChatAsync(request.Messages, request.Options, cancellationToken), _secret, cancellationToken);
        return OpenAIMapping.FromOpenAI(result.Value);
    }
}
