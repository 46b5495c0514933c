using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Providers.Simulation;
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
            using var document = await Wire.Body(context);
            request = Parse(document.RootElement, state, SystemTurns(context.Request));
        }
        catch (Exception e) when (Wire.Refusal(e) is { } refusal)
        {
            await Wire.Refuse(context, refusal);
            return;
        }

        var admission = limiter.TryAdmit(SimulatorState.EstimateTokens(request.Messages, request.Options), request.MaxTokens);
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

        ChatResponse response;
        try
        {
            response = await state.Generator.GetResponseAsync(request.Messages, request.Options, context.RequestAborted);
        }
        catch (Exception e) when (Wire.Refusal(e) is { } refusal)
        {
            await Wire.Refuse(context, refusal);
            return;
        }

        var usage = response.Usage!;
        limiter.Settle(request.MaxTokens, usage.OutputTokenCount ?? 0);
        var id = "msg_" + response.ResponseId;
        var stopSequence = response.AdditionalProperties?.TryGetValue(SimulatedChatClient.StopSequenceProperty, out var matched) == true ? matched as string : null;
        var stop = response.FinishReason == ChatFinishReason.ToolCalls ? "tool_use"
            : response.FinishReason == ChatFinishReason.Length ? "max_tokens"
            : stopSequence is not null ? "stop_sequence"
            : "end_turn";
        var calls = response.Messages[^1].Contents.OfType<FunctionCallContent>().ToList();
        if (!request.Stream)
        {
            var content = calls.Count > 0
                ? new JsonArray([.. calls.Select(c => (JsonNode)new JsonObject { ["type"] = "tool_use", ["id"] = ToolUseId(c), ["name"] = c.Name, ["input"] = Wire.ArgumentsJson(c) })])
                : new JsonArray(new JsonObject { ["type"] = "text", ["text"] = response.Text });
            var body = Message(id, request.Model, content, stop, stopSequence, usage.InputTokenCount ?? 0, usage.OutputTokenCount ?? 0);
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
            ["message"] = Message(id, request.Model, [], null, null, usage.InputTokenCount ?? 0, 1),
        });

        // Every block's events in order; faults strike at the middle delta.
        var events = new List<(string Name, JsonObject Data)>();
        void Block(int index, JsonObject start, string deltaType, string field, IEnumerable<string> pieces)
        {
            events.Add(("content_block_start", new JsonObject { ["type"] = "content_block_start", ["index"] = index, ["content_block"] = start }));
            foreach (var piece in pieces)
            {
                events.Add(("content_block_delta", new JsonObject
                {
                    ["type"] = "content_block_delta",
                    ["index"] = index,
                    ["delta"] = new JsonObject { ["type"] = deltaType, [field] = piece },
                }));
            }

            events.Add(("content_block_stop", new JsonObject { ["type"] = "content_block_stop", ["index"] = index }));
        }

        if (calls.Count == 0)
        {
            Block(0, new JsonObject { ["type"] = "text", ["text"] = "" }, "text_delta", "text", SimulatorState.Pieces(response.Text));
        }

        for (var i = 0; i < calls.Count; i++)
        {
            Block(i, new JsonObject { ["type"] = "tool_use", ["id"] = ToolUseId(calls[i]), ["name"] = calls[i].Name, ["input"] = new JsonObject() },
                "input_json_delta", "partial_json", SimulatorState.Pieces(Wire.ArgumentsJson(calls[i]).ToJsonString()));
        }

        var deltas = events.Select((e, i) => (e, i)).Where(x => x.e.Name == "content_block_delta").Select(x => x.i).ToList();
        var middle = deltas.Count == 0 ? -1 : deltas[deltas.Count / 2];
        for (var i = 0; i < events.Count; i++)
        {
            if (fault == HttpFault.TruncatedStream && i == middle)
            {
                context.Abort();
                return;
            }

            var data = events[i].Data.ToJsonString();
            if (fault == HttpFault.MalformedJson && i == middle)
            {
                data = data[..(data.Length / 2)];
            }

            await HttpWrite.Event(context, events[i].Name, data);
        }

        await Send(context, "message_delta", new JsonObject
        {
            ["type"] = "message_delta",
            ["delta"] = new JsonObject { ["stop_reason"] = stop, ["stop_sequence"] = stopSequence },
            ["usage"] = new JsonObject { ["output_tokens"] = usage.OutputTokenCount ?? 0 },
        });
        await Send(context, "message_stop", new JsonObject { ["type"] = "message_stop" });
    }

    /// <summary>Anthropic's id for a generated call: the generator's id with Anthropic's prefix.</summary>
    private static string ToolUseId(FunctionCallContent call) =>
        call.CallId.StartsWith("call_", StringComparison.Ordinal) ? "toolu_" + call.CallId["call_".Length..] : call.CallId;

    private static Task Send(HttpContext context, string name, JsonObject data) => HttpWrite.Event(context, name, data.ToJsonString());

    private static JsonObject Message(string id, string model, JsonArray content, string? stop, string? stopSequence, long input, long output) => new()
    {
        ["id"] = id,
        ["type"] = "message",
        ["role"] = "assistant",
        ["model"] = model,
        ["content"] = content,
        ["stop_reason"] = stop,
        ["stop_sequence"] = stopSequence,
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

    /// <summary><c>POST /v1/messages/count_tokens</c>: the input tokens the same request would be metered and billed for.</summary>
    public static async Task CountTokens(HttpContext context, SimulatorState state)
    {
        if (state.Authenticate(context.Request) is null)
        {
            await Error(context, 401, "authentication_error", "invalid x-api-key");
            return;
        }

        try
        {
            using var document = await Wire.Body(context);
            var request = Parse(document.RootElement, state, SystemTurns(context.Request), countOnly: true);
            await HttpWrite.Json(context, 200, new JsonObject { ["input_tokens"] = SimulatorState.EstimateTokens(request.Messages, request.Options) });
        }
        catch (Exception e) when (Wire.Refusal(e) is { } refusal)
        {
            await Wire.Refuse(context, refusal);
        }
    }

    /// <summary>The beta that lets <c>messages</c> hold <c>role: system</c> turns. Claude Code 2.1 sends it with such
    /// turns on its first request and, refused, falls back to a request without either.</summary>
    private const string PerTurnControlBeta = "per-turn-control-2026-07-01";

    private static bool SystemTurns(HttpRequest request) =>
        request.Headers["anthropic-beta"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries)).Contains(PerTurnControlBeta, StringComparer.Ordinal);

    private static MessagesRequest Parse(JsonElement root, SimulatorState state, bool systemTurns, bool countOnly = false)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw RequestException.Invalid("The request body must be a JSON object.");
        }

        var model = Wire.String(root, "model") ?? throw RequestException.Invalid("model: Field required");
        var max = Wire.Whole(root, "max_tokens", 1, Wire.MaxOutputTokens) ?? (countOnly ? 1 : throw RequestException.Invalid("max_tokens: Field required"));
        if (!Wire.Serves(state.Options.Simulation, model))
        {
            throw new RequestException(404, $"model: {model}");
        }

        var list = new List<ChatMessage>();
        if (Wire.Get(root, "system") is { } system)
        {
            list.Add(new ChatMessage(ChatRole.System, Contents(system, "system")));
        }

        if (Wire.Get(root, "messages") is not { ValueKind: JsonValueKind.Array } messages)
        {
            throw RequestException.Invalid("messages: Field required");
        }

        foreach (var (m, i) in messages.EnumerateArray().Select((m, i) => (m, i)))
        {
            var role = Wire.String(m, "role", $"messages.{i}.role") switch
            {
                "user" => ChatRole.User,
                "assistant" => ChatRole.Assistant,
                "system" when systemTurns => ChatRole.System,
                var other => throw RequestException.Invalid($"messages.{i}.role: Input should be 'user' or 'assistant', got '{other}'"),
            };
            list.Add(new ChatMessage(role, Contents(Wire.Get(m, "content") ?? throw RequestException.Invalid($"messages.{i}.content: Field required"), $"messages.{i}.content")));
        }

        if (list.Count(m => m.Role != ChatRole.System) == 0)
        {
            throw RequestException.Invalid("messages: at least one message is required");
        }

        if (Wire.UnansweredResult(list) is { } orphan)
        {
            throw RequestException.Invalid(
                $"messages: unexpected `tool_use_id` found in `tool_result` blocks: {orphan}. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.");
        }

        var options = new ChatOptions
        {
            ModelId = model,
            MaxOutputTokens = (int)max,
            Temperature = (float?)Wire.Number(root, "temperature"),
            StopSequences = Wire.Stops(root, "stop_sequences", 8191),
        };
        var tools = Wire.Array(root, "tools").Select((t, i) =>
        {
            var name = Wire.String(t, "name", $"tools.{i}.name") ?? throw RequestException.Invalid($"tools.{i}.name: Field required");
            return (AITool)Wire.Tool(name, Wire.String(t, "description"), Wire.Get(t, "input_schema"));
        }).ToList();
        if (tools.Count > 0)
        {
            options.Tools = tools;
        }

        if (Wire.Get(root, "tool_choice") is { } choice)
        {
            options.ToolMode = Wire.String(choice, "type", "tool_choice.type") switch
            {
                "auto" => ChatToolMode.Auto,
                "any" => ChatToolMode.RequireAny,
                "none" => ChatToolMode.None,
                "tool" => ChatToolMode.RequireSpecific(Wire.String(choice, "name", "tool_choice.name") ?? throw RequestException.Invalid("tool_choice.tool.name: Field required")),
                var other => throw RequestException.Invalid($"tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none', got '{other}'"),
            };
            options.AllowMultipleToolCalls = Wire.Bool(choice, "disable_parallel_tool_use") is { } disable ? !disable : null;
        }

        JsonElement? schema = null;
        // Structured outputs: output_config.format (SDKs from 2025-11) or the older output_format, { type: json_schema, schema }.
        var format = (Wire.Get(root, "output_config") is { } config ? Wire.Get(config, "format") : null) ?? Wire.Get(root, "output_format");
        if (format is { } f && Wire.Get(f, "schema") is { } s)
        {
            schema = s.Clone();
            options.ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.Value);
        }

        return new MessagesRequest(model, list, options, schema, max, Wire.Bool(root, "stream") == true);
    }

    /// <summary>A <c>content</c> (or <c>system</c>): a string, or blocks of text, images, tool calls and tool results.</summary>
    private static List<AIContent> Contents(JsonElement content, string where)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return [new TextContent(content.GetString())];
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            throw RequestException.Invalid($"{where}: Input should be a valid list");
        }

        var list = new List<AIContent>();
        foreach (var block in content.EnumerateArray())
        {
            switch (Wire.String(block, "type", $"{where}.type"))
            {
                case "image" when Wire.Get(block, "source") is { } source:
                    list.Add(Wire.String(source, "type") == "base64"
                        ? SimulatorState.Image($"data:{Wire.String(source, "media_type") ?? "image/png"};base64,{Wire.String(source, "data")}")
                        : SimulatorState.Image(Wire.String(source, "url") ?? ""));
                    break;
                case "tool_use":
                    list.Add(new FunctionCallContent(Wire.String(block, "id") ?? "", Wire.String(block, "name") ?? "", Wire.Arguments(Wire.Get(block, "input"))));
                    break;
                case "tool_result":
                    var result = Wire.Get(block, "content") is { } inner ? string.Concat(Contents(inner, $"{where}.content").OfType<TextContent>().Select(t => t.Text)) : "";
                    list.Add(new FunctionResultContent(Wire.String(block, "tool_use_id") ?? "", result));
                    break;
                default:
                    if (Wire.String(block, "text") is { } text)
                    {
                        list.Add(new TextContent(text));
                    }

                    break;
            }
        }

        return list;
    }

    private sealed record MessagesRequest(string Model, List<ChatMessage> Messages, ChatOptions Options, JsonElement? Schema, long MaxTokens, bool Stream);
}
