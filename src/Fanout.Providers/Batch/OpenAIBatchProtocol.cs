#pragma warning disable OPENAI001 // the SDK marks its batch client experimental
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Providers.OpenAI;
using Fanout.Providers.Pools;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;

namespace Fanout.Providers.Batch;

/// <summary>
/// OpenAI's Batch API through the official SDK: the requests as a JSONL file (<see cref="OpenAIFileClient"/>,
/// purpose <c>batch</c>), one batch over it for <c>/v1/chat/completions</c> (<see cref="BatchClient"/>), and at the
/// end its output and error files, whose lines carry each request's <c>custom_id</c> and response.
/// </summary>
internal sealed class OpenAIBatchProtocol : IBatchProtocol
{
    private const string Provider = "OpenAI";
    private readonly KeyIdentity _key;
    private readonly string _model;
    private readonly BatchClient _batches;
    private readonly OpenAIFileClient _files;

    public OpenAIBatchProtocol(KeyIdentity key, Uri? endpoint, string defaultModel)
    {
        _key = key;
        _model = defaultModel;
        var options = new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 0) };
        if (endpoint is not null)
        {
            options.Endpoint = endpoint;
        }

        var client = new OpenAIClient(new ApiKeyCredential(key.Secret), options);
        _batches = client.GetBatchClient();
        _files = client.GetOpenAIFileClient();
    }

    /// <inheritdoc />
    public string RequestBody(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var body = new JsonObject
        {
            ["model"] = options?.ModelId ?? _model,
            ["messages"] = new JsonArray([.. messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role.Value, ["content"] = m.Text })]),
        };
        if (options?.MaxOutputTokens is { } max)
        {
            body["max_completion_tokens"] = max;
        }

        if (options?.Temperature is { } temperature)
        {
            body["temperature"] = temperature;
        }

        switch (options?.ResponseFormat)
        {
            case ChatResponseFormatJson { Schema: { } schema } json:
                body["response_format"] = new JsonObject
                {
                    ["type"] = "json_schema",
                    ["json_schema"] = new JsonObject { ["name"] = json.SchemaName ?? "output", ["schema"] = JsonNode.Parse(schema.GetRawText()) },
                };
                break;
            case ChatResponseFormatJson:
                body["response_format"] = new JsonObject { ["type"] = "json_object" };
                break;
        }

        return body.ToJsonString();
    }

    /// <inheritdoc />
    public async Task<string> CreateAsync(IReadOnlyList<(string CustomId, string Body)> items, CancellationToken cancellationToken)
    {
        var lines = new StringBuilder();
        foreach (var (customId, body) in items)
        {
            lines.Append(new JsonObject { ["custom_id"] = customId, ["method"] = "POST", ["url"] = "/v1/chat/completions", ["body"] = JsonNode.Parse(body) }.ToJsonString()).Append('\n');
        }

        return await OpenAIErrors.Guard(async () =>
        {
            var file = await _files.UploadFileAsync(BinaryData.FromString(lines.ToString()), "fanout-batch.jsonl", FileUploadPurpose.Batch);
            var request = new JsonObject { ["input_file_id"] = file.Value.Id, ["endpoint"] = "/v1/chat/completions", ["completion_window"] = "24h" };
            var operation = await _batches.CreateBatchAsync(BinaryContent.Create(BinaryData.FromString(request.ToJsonString())), waitUntilCompleted: false,
                new RequestOptions { CancellationToken = cancellationToken });
            using var created = JsonDocument.Parse(operation.GetRawResponse().Content);
            return created.RootElement.GetProperty("id").GetString()!;
        }, _key, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, BatchOutcome>?> PollAsync(string batchId, CancellationToken cancellationToken) => OpenAIErrors.Guard(async () =>
    {
        var operation = await CreateBatchOperation.RehydrateAsync(_batches, batchId, cancellationToken);
        using var batch = JsonDocument.Parse(operation.GetRawResponse().Content);
        var status = batch.RootElement.GetProperty("status").GetString();
        if (status is "validating" or "in_progress" or "finalizing" or "cancelling")
        {
            return null;
        }

        var results = new Dictionary<string, BatchOutcome>(StringComparer.Ordinal);
        foreach (var field in (string[])["output_file_id", "error_file_id"])
        {
            if (batch.RootElement.TryGetProperty(field, out var id) && id.GetString() is { } fileId)
            {
                var content = await _files.DownloadFileAsync(fileId, cancellationToken);
                foreach (var line in content.Value.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    using var item = JsonDocument.Parse(line);
                    results[item.RootElement.GetProperty("custom_id").GetString()!] = Outcome(item.RootElement);
                }
            }
        }

        return (IReadOnlyDictionary<string, BatchOutcome>?)results;
    }, _key, cancellationToken);

    /// <summary>One output line: <c>{custom_id, response: {status_code, body}, error}</c>.</summary>
    private BatchOutcome Outcome(JsonElement line)
    {
        if (line.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object)
        {
            var status = response.GetProperty("status_code").GetInt32();
            var body = response.GetProperty("body");
            return status == 200
                ? new BatchOutcome(Completion(body), null)
                : new BatchOutcome(null, ProviderErrors.FromStatus(Provider, _key, status, body.GetRawText(), "batch item failed", header: null));
        }

        var error = line.TryGetProperty("error", out var e) ? e.GetRawText() : null;
        return new BatchOutcome(null, ProviderErrors.FromStatus(Provider, _key, 0, error is null ? null : $"{{\"error\":{error}}}", "batch item failed", header: null));
    }

    /// <summary>A <c>chat.completion</c> body as the chat response the online path would have produced.</summary>
    private static ChatResponse Completion(JsonElement body)
    {
        var choice = body.GetProperty("choices")[0];
        var usage = body.GetProperty("usage");
        return new ChatResponse(new Microsoft.Extensions.AI.ChatMessage(ChatRole.Assistant, choice.GetProperty("message").GetProperty("content").GetString() ?? ""))
        {
            ResponseId = body.TryGetProperty("id", out var id) ? id.GetString() : null,
            ModelId = body.TryGetProperty("model", out var model) ? model.GetString() : null,
            FinishReason = choice.TryGetProperty("finish_reason", out var finish) && finish.GetString() is { } f ? new ChatFinishReason(f) : null,
            Usage = new UsageDetails
            {
                InputTokenCount = usage.GetProperty("prompt_tokens").GetInt64(),
                OutputTokenCount = usage.GetProperty("completion_tokens").GetInt64(),
                CachedInputTokenCount = usage.TryGetProperty("prompt_tokens_details", out var details) && details.TryGetProperty("cached_tokens", out var cached) ? cached.GetInt64() : 0,
            },
        };
    }
}
