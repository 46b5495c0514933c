using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace Fanout.Simulator;

/// <summary><c>POST /v1/messages</c> as Anthropic serves it: JSON or the SSE event sequence, usage and <c>anthropic-ratelimit-*</c> headers.</summary>
internal static class AnthropicEndpoint
{
    public static async Task Handle(HttpContext context, SimulatorState state)
    {
        var limiter = state.Authenticate(context.Request);
        if (limiter is null)
        {
            await Error(context, 401, "authentication_error", "invalid x-api-key");
            return;
        }

        MessagesRequest request;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            request = Parse(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            await Error(context, 400, "invalid_request_error", $"Invalid request body: {e.Message}");
            return;
        }

        var admission = limiter.TryAdmit(SimulatorState.EstimateTokens(request.Messages, request.Schema), request.MaxTokens);
        Headers(context, limiter, state.Time.GetUtcNow());
        if (admission.TooLarge is { } tooLarge)
        {
            await Error(context, 413, "request_too_large", tooLarge);
            return;
        }

        if (!admission.Admitted)
        {
            HttpWrite.RetryAfter(context, admission.RetryAfter);
            await Error(context, 429, "rate_limit_error", $"This request would exceed the rate limit of key '{limiter.Key.Alias}' (simulated).");
            return;
        }

        var fault = state.NextFault();
        switch (fault)
        {
            case HttpFault.ServerError:
                await Error(context, 500, "api_error", "Internal server error (simulated).");
                return;
            case HttpFault.Unavailable:
                await Error(context, 529, "overloaded_error", "Overloaded (simulated).");
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
        limiter.Settle(request.MaxTokens, usage.OutputTokenCount ?? 0);
        var id = "msg_" + response.ResponseId;
        var stop = response.FinishReason == ChatFinishReason.Length ? "max_tokens" : "end_turn";
        if (!request.Stream)
        {
            var body = Message(id, request.Model, new JsonArray(new JsonObject { ["type"] = "text", ["text"] = response.Text }), stop,
                usage.InputTokenCount ?? 0, usage.OutputTokenCount ?? 0);
            if (fault == HttpFault.MalformedJson)
            {
                await HttpWrite.Malformed(context, body);
                return;
            }

            await HttpWrite.Json(context, 200, body);
            return;
        }

        HttpWrite.StartEvents(context);
        await Send(context, "message_start", new JsonObject
        {
            ["type"] = "message_start",
            ["message"] = Message(id, request.Model, [], null, usage.InputTokenCount ?? 0, 1),
        });
        await Send(context, "content_block_start", new JsonObject
        {
            ["type"] = "content_block_start",
            ["index"] = 0,
            ["content_block"] = new JsonObject { ["type"] = "text", ["text"] = "" },
        });
        var pieces = SimulatorState.Pieces(response.Text).ToList();
        for (var i = 0; i < pieces.Count; i++)
        {
            if (fault == HttpFault.TruncatedStream && i == pieces.Count / 2)
            {
                context.Abort();
                return;
            }

            var data = new JsonObject
            {
                ["type"] = "content_block_delta",
                ["index"] = 0,
                ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = pieces[i] },
            }.ToJsonString();
            if (fault == HttpFault.MalformedJson && i == pieces.Count / 2)
            {
                data = data[..(data.Length / 2)];
            }

            await HttpWrite.Event(context, "content_block_delta", data);
        }

        await Send(context, "content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = 0 });
        await Send(context, "message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = stop, ["stop_sequence"] = null },
            ["usage"] = new JsonObject { ["output_tokens"] = usage.OutputTokenCount ?? 0 },
        });
        await Send(context, "message_stop", new JsonObject { ["type"] = "message_stop" });
    }

    private static Task Send(HttpContext context, string name, JsonObject data) => HttpWrite.Event(context, name, data.ToJsonString());

    private static JsonObject Message(string id, string model, JsonArray content, string? stop, long input, long output) => new()
    {
        ["id"] = id,
        ["type"] = "message",
        ["role"] = "assistant",
        ["model"] = model,
        ["content"] = content,
        ["stop_reason"] = stop,
        ["stop_sequence"] = null,
        ["usage"] = new JsonObject
        {
            ["input_tokens"] = input,
            ["output_tokens"] = output,
            ["cache_creation_input_tokens"] = 0,
            ["cache_read_input_tokens"] = 0,
        },
    };

    /// <summary>Writes the <c>anthropic-ratelimit-*</c> headers of the key's configured limits (resets as RFC 3339 instants).</summary>
    private static void Headers(HttpContext context, KeyLimiter limiter, DateTimeOffset now)
    {
        void Write(string name, LimitState? state)
        {
            if (state is { } s)
            {
                context.Response.Headers[$"anthropic-ratelimit-{name}-limit"] = HttpWrite.Number(s.Limit);
                context.Response.Headers[$"anthropic-ratelimit-{name}-remaining"] = HttpWrite.Number(s.Remaining);
                context.Response.Headers[$"anthropic-ratelimit-{name}-reset"] =
                    (now + s.Reset).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            }
        }

        Write("requests", limiter.Requests);
        Write("tokens", limiter.Tokens);
        Write("input-tokens", limiter.InputTokens);
        Write("output-tokens", limiter.OutputTokens);
    }

    private static Task Error(HttpContext context, int status, string type, string message) =>
        HttpWrite.Json(context, status, new JsonObject
        {
            ["type"] = "error",
            ["error"] = new JsonObject { ["type"] = type, ["message"] = message },
        });

    private static MessagesRequest Parse(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String)
        {
            throw new FormatException("model: Field required");
        }

        if (!root.TryGetProperty("max_tokens", out var max) || max.ValueKind != JsonValueKind.Number)
        {
            throw new FormatException("max_tokens: Field required");
        }

        var list = new List<ChatMessage>();
        if (root.TryGetProperty("system", out var system))
        {
            list.Add(new ChatMessage(ChatRole.System, SimulatorState.ContentText(system)));
        }

        list.AddRange(root.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(new ChatRole(m.GetProperty("role").GetString() ?? "user"), SimulatorState.ContentText(m.GetProperty("content")))));
        var options = new ChatOptions
        {
            ModelId = model.GetString(),
            MaxOutputTokens = (int)Math.Min(max.GetInt64(), int.MaxValue),
            Temperature = root.TryGetProperty("temperature", out var t) && t.ValueKind == JsonValueKind.Number ? t.GetSingle() : null,
        };
        JsonElement? schema = null;
        // Structured outputs: output_format { type: json_schema, schema }.
        if (root.TryGetProperty("output_format", out var format) && format.ValueKind == JsonValueKind.Object
            && format.TryGetProperty("schema", out var s))
        {
            schema = s.Clone();
            options.ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.Value);
        }

        var stream = root.TryGetProperty("stream", out var st) && st.ValueKind == JsonValueKind.True;
        return new MessagesRequest(model.GetString()!, list, options, schema, max.GetInt64(), stream);
    }

    private sealed record MessagesRequest(string Model, List<ChatMessage> Messages, ChatOptions Options, JsonElement? Schema, long MaxTokens, bool Stream);
}
