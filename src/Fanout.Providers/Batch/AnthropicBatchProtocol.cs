using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Providers.Anthropic;
using Fanout.Providers.Pools;
using Microsoft.Extensions.AI;

namespace Fanout.Providers.Batch;

/// <summary>
/// Anthropic's Message Batches over its wire protocol (<c>POST /v1/messages/batches</c>, <c>GET …/{id}</c>, and the
/// JSONL at its <c>results_url</c>): the request bodies are the Messages API's own, results are matched by
/// <c>custom_id</c>, and cache reads and writes come back in each message's usage.
/// </summary>
internal sealed class AnthropicBatchProtocol(KeyIdentity key, Uri? baseUrl, string? defaultModel) : IBatchProtocol, IDisposable
{
    private readonly HttpClient _http = new();
    private const string Provider = "Anthropic";
    private const string Version = "2023-06-01";
    private readonly Uri _root = new((baseUrl?.ToString().TrimEnd('/') ?? "https://api.anthropic.com") + "/");

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();

    /// <inheritdoc />
    public string RequestBody(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var list = messages.ToList();
        var body = new JsonObject
        {
            ["model"] = options?.ModelId ?? defaultModel,
            ["max_tokens"] = options?.MaxOutputTokens ?? AnthropicKeyClient.DefaultMaxOutputTokens,
        };
        var system = string.Join("\n", list.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
        if (system.Length > 0)
        {
            body["system"] = system;
        }

        body["messages"] = new JsonArray([.. list.Where(m => m.Role != ChatRole.System)
            .Select(m => (JsonNode)new JsonObject { ["role"] = m.Role == ChatRole.Assistant ? "assistant" : "user", ["content"] = m.Text })]);
        if (options?.Temperature is { } temperature)
        {
            body["temperature"] = temperature;
        }

        return body.ToJsonString();
    }

    /// <inheritdoc />
    public async Task<string> CreateAsync(IReadOnlyList<(string CustomId, string Body)> items, CancellationToken cancellationToken)
    {
        var request = new JsonObject
        {
            ["requests"] = new JsonArray([.. items.Select(i => (JsonNode)new JsonObject { ["custom_id"] = i.CustomId, ["params"] = JsonNode.Parse(i.Body) })]),
        };
        using var created = JsonDocument.Parse(await SendAsync(HttpMethod.Post, new Uri(_root, "v1/messages/batches"), request.ToJsonString(), cancellationToken));
        return created.RootElement.GetProperty("id").GetString()!;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, BatchOutcome>?> PollAsync(string batchId, CancellationToken cancellationToken)
    {
        using var batch = JsonDocument.Parse(await SendAsync(HttpMethod.Get, new Uri(_root, $"v1/messages/batches/{Uri.EscapeDataString(batchId)}"), null, cancellationToken));
        if (batch.RootElement.GetProperty("processing_status").GetString() != "ended")
        {
            return null;
        }

        var url = batch.RootElement.GetProperty("results_url").GetString()!;
        var results = new Dictionary<string, BatchOutcome>(StringComparer.Ordinal);
        foreach (var line in (await SendAsync(HttpMethod.Get, new Uri(_root, url), null, cancellationToken)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            using var item = JsonDocument.Parse(line);
            results[item.RootElement.GetProperty("custom_id").GetString()!] = Outcome(item.RootElement.GetProperty("result"));
        }

        return results;
    }

    /// <summary>One result: <c>succeeded</c> with its message, <c>errored</c> with the API's error, or expired/canceled.</summary>
    private BatchOutcome Outcome(JsonElement result)
    {
        switch (result.GetProperty("type").GetString())
        {
            case "succeeded":
                return new BatchOutcome(Message(result.GetProperty("message")), null);
            case "errored":
                var error = result.GetProperty("error");
                var type = error.TryGetProperty("error", out var inner) && inner.TryGetProperty("type", out var t) ? t.GetString() : null;
                // The batch keeps no status code: the error type says which it was.
                var status = type switch
                {
                    "invalid_request_error" => 400,
                    "authentication_error" => 401,
                    "permission_error" => 403,
                    "not_found_error" => 404,
                    "rate_limit_error" => 429,
                    "overloaded_error" => 529,
                    _ => 500,
                };
                return new BatchOutcome(null, ProviderErrors.FromStatus(Provider, key, status, error.GetRawText(), "batch item failed", header: null));
            case var other:
                return new BatchOutcome(null, new TaskFailedException($"{Provider} batch item {other}", retryable: true));
        }
    }

    /// <summary>A Messages API response as a chat response; input tokens include cache reads and writes, as Fanout counts them.</summary>
    private static ChatResponse Message(JsonElement message)
    {
        var text = string.Concat(message.GetProperty("content").EnumerateArray()
            .Where(b => b.GetProperty("type").GetString() == "text").Select(b => b.GetProperty("text").GetString()));
        var usage = message.GetProperty("usage");
        long Count(string name) => usage.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ResponseId = message.GetProperty("id").GetString(),
            ModelId = message.TryGetProperty("model", out var model) ? model.GetString() : null,
            FinishReason = message.TryGetProperty("stop_reason", out var stop) && stop.GetString() is { } s
                ? s == "max_tokens" ? ChatFinishReason.Length : ChatFinishReason.Stop
                : null,
            Usage = new UsageDetails
            {
                InputTokenCount = Count("input_tokens") + Count("cache_read_input_tokens") + Count("cache_creation_input_tokens"),
                OutputTokenCount = Count("output_tokens"),
                CachedInputTokenCount = Count("cache_read_input_tokens"),
            },
        };
    }

    private async Task<string> SendAsync(HttpMethod method, Uri url, string? json, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Add("x-api-key", key.Secret);
        request.Headers.Add("anthropic-version", Version);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        }

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw ProviderErrors.Network(Provider, key, e.Message);
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            return response.IsSuccessStatusCode
                ? body
                : throw ProviderErrors.FromStatus(Provider, key, (int)response.StatusCode, body, response.ReasonPhrase ?? "request failed",
                    name => response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null);
        }
    }
}
