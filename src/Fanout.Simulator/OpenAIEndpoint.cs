using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace Fanout.Simulator;

/// <summary><c>POST /v1/chat/completions</c> as OpenAI serves it: JSON or SSE, <c>response_format</c>, usage and <c>x-ratelimit-*</c> headers.</summary>
internal static class OpenAIEndpoint
{
    public static async Task Handle(HttpContext context, SimulatorState state)
    {
        var limiter = state.Authenticate(context.Request);
        if (limiter is null)
        {
            await Error(context, 401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
            return;
        }

        ChatRequest request;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            request = Parse(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            await Error(context, 400, $"Invalid request body: {e.Message}", "invalid_request_error", null);
            return;
        }

        var estimate = request.MaxTokens ?? 0;
        var admission = limiter.TryAdmit(SimulatorState.EstimateTokens(request.Messages, request.Schema), estimate);
        Headers(context, limiter);
        if (admission.TooLarge is { } tooLarge)
        {
            await Error(context, 400, tooLarge, "invalid_request_error", "request_too_large");
            return;
        }

        if (!admission.Admitted)
        {
            HttpWrite.RetryAfter(context, admission.RetryAfter);
            await Error(context, 429,
                $"Rate limit reached for key '{limiter.Key.Alias}' (simulated). Please try again in {GoDuration.Format(admission.RetryAfter)}.",
                "rate_limit_exceeded", "rate_limit_exceeded");
            return;
        }

        var fault = state.NextFault();
        switch (fault)
        {
            case HttpFault.ServerError:
                await Error(context, 500, "The server had an error while processing your request (simulated).", "server_error", null);
                return;
            case HttpFault.Unavailable:
                await Error(context, 503, "The engine is currently overloaded, please try again later (simulated).", "server_error", null);
                return;
            case HttpFault.Timeout:
                await HttpWrite.Hang(context);
                return;
            case HttpFault.Reset:
            case HttpFault.TruncatedStream when !request.Stream:
                context.Abort();
                return;
        }

        var response = await state.Generator.GetResponseAsync(request.Messages, request.Options, context.RequestAborted);
        var usage = response.Usage!;
        limiter.Settle(estimate, usage.OutputTokenCount ?? 0);
        var id = "chatcmpl-" + response.ResponseId;
        var created = state.Time.GetUtcNow().ToUnixTimeSeconds();
        var finish = response.FinishReason == ChatFinishReason.Length ? "length" : "stop";
        if (!request.Stream)
        {
            var body = new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion",
                ["created"] = created,
                ["model"] = request.Model,
                ["choices"] = new JsonArray(new JsonObject
                {
                    ["index"] = 0,
                    ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = response.Text, ["refusal"] = null },
                    ["logprobs"] = null,
                    ["finish_reason"] = finish,
                }),
                ["usage"] = Usage(usage),
                ["system_fingerprint"] = "fp_fanout_sim",
            };
            if (fault == HttpFault.MalformedJson)
            {
                await HttpWrite.Malformed(context, body);
                return;
            }

            await HttpWrite.Json(context, 200, body);
            return;
        }

        HttpWrite.StartEvents(context);
        JsonObject Chunk(JsonObject delta, string? finishReason) => new()
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = created,
            ["model"] = request.Model,
            ["system_fingerprint"] = "fp_fanout_sim",
            ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason }),
        };

        await HttpWrite.Event(context, null, Chunk(new JsonObject { ["role"] = "assistant", ["content"] = "" }, null).ToJsonString());
        var pieces = SimulatorState.Pieces(response.Text).ToList();
        for (var i = 0; i < pieces.Count; i++)
        {
            if (fault == HttpFault.TruncatedStream && i == pieces.Count / 2)
            {
                context.Abort();
                return;
            }

            var data = Chunk(new JsonObject { ["content"] = pieces[i] }, null).ToJsonString();
            if (fault == HttpFault.MalformedJson && i == pieces.Count / 2)
            {
                data = data[..(data.Length / 2)];
            }

            await HttpWrite.Event(context, null, data);
        }

        await HttpWrite.Event(context, null, Chunk(new JsonObject(), finish).ToJsonString());
        if (request.IncludeUsage)
        {
            var last = Chunk(new JsonObject(), null);
            last["choices"] = new JsonArray();
            last["usage"] = Usage(usage);
            await HttpWrite.Event(context, null, last.ToJsonString());
        }

        await HttpWrite.Event(context, null, "[DONE]");
    }

    /// <summary>Writes the <c>x-ratelimit-*</c> headers of the key's configured limits.</summary>
    private static void Headers(HttpContext context, KeyLimiter limiter)
    {
        var headers = context.Response.Headers;
        if (limiter.Requests is { } requests)
        {
            headers["x-ratelimit-limit-requests"] = HttpWrite.Number(requests.Limit);
            headers["x-ratelimit-remaining-requests"] = HttpWrite.Number(requests.Remaining);
            headers["x-ratelimit-reset-requests"] = GoDuration.Format(requests.Reset);
        }

        if (limiter.Tokens is { } tokens)
        {
            headers["x-ratelimit-limit-tokens"] = HttpWrite.Number(tokens.Limit);
            headers["x-ratelimit-remaining-tokens"] = HttpWrite.Number(tokens.Remaining);
            headers["x-ratelimit-reset-tokens"] = GoDuration.Format(tokens.Reset);
        }
    }

    private static JsonObject Usage(UsageDetails usage) => new()
    {
        ["prompt_tokens"] = usage.InputTokenCount ?? 0,
        ["completion_tokens"] = usage.OutputTokenCount ?? 0,
        ["total_tokens"] = (usage.InputTokenCount ?? 0) + (usage.OutputTokenCount ?? 0),
        ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = usage.CachedInputTokenCount ?? 0 },
        ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
    };

    private static Task Error(HttpContext context, int status, string message, string type, string? code) =>
        HttpWrite.Json(context, status, new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["param"] = null, ["code"] = code },
        });

    private static ChatRequest Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String)
        {
            throw new FormatException("'model' is required");
        }

        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("'messages' must be an array");
        }

        var list = messages.EnumerateArray()
            .Select(m => new ChatMessage(new ChatRole(m.GetProperty("role").GetString() ?? "user"),
                m.TryGetProperty("content", out var c) ? SimulatorState.ContentText(c) : ""))
            .ToList();
        long? maxTokens = root.TryGetProperty("max_completion_tokens", out var mct) && mct.ValueKind == JsonValueKind.Number ? mct.GetInt64()
            : root.TryGetProperty("max_tokens", out var mt) && mt.ValueKind == JsonValueKind.Number ? mt.GetInt64() : null;
        var options = new ChatOptions
        {
            ModelId = model.GetString(),
            Temperature = root.TryGetProperty("temperature", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetSingle() : null,
            MaxOutputTokens = maxTokens is { } m ? (int)Math.Min(m, int.MaxValue) : null,
        };
        JsonElement? schema = null;
        if (root.TryGetProperty("response_format", out var format) && format.ValueKind == JsonValueKind.Object)
        {
            switch (format.GetProperty("type").GetString())
            {
                case "json_object":
                    options.ResponseFormat = ChatResponseFormat.Json;
                    break;
                case "json_schema":
                    var spec = format.GetProperty("json_schema");
                    schema = spec.TryGetProperty("schema", out var s) ? s.Clone() : null;
                    options.ResponseFormat = schema is { } sc
                        ? ChatResponseFormat.ForJsonSchema(sc, spec.TryGetProperty("name", out var n) ? n.GetString() : null)
                        : ChatResponseFormat.Json;
                    break;
            }
        }

        var stream = root.TryGetProperty("stream", out var st) && st.ValueKind == JsonValueKind.True;
        var includeUsage = root.TryGetProperty("stream_options", out var so) && so.ValueKind == JsonValueKind.Object
            && so.TryGetProperty("include_usage", out var iu) && iu.ValueKind == JsonValueKind.True;
        return new ChatRequest(model.GetString()!, list, options, schema, maxTokens, stream, includeUsage);
    }

    private sealed record ChatRequest(string Model, List<ChatMessage> Messages, ChatOptions Options, JsonElement? Schema, long? MaxTokens, bool Stream, bool IncludeUsage);
}
