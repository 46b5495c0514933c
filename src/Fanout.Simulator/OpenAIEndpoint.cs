using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Providers.Simulation;
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
            using var document = await Wire.Body(context);
            request = Parse(document.RootElement, state);
        }
        catch (Exception e) when (Wire.Refusal(e) is { } refusal)
        {
            await Wire.Refuse(context, refusal);
            return;
        }

        var estimate = request.MaxTokens ?? 0;
        var admission = limiter.TryAdmit(SimulatorState.EstimateTokens(request.Messages, request.Options), estimate);
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

        ChatResponse[] responses;
        try
        {
            responses = await Task.WhenAll(Enumerable.Range(0, request.Choices)
                .Select(i => state.Generator.GetResponseAsync(request.Messages, Wire.Choice(request.Options, i), context.RequestAborted)));
        }
        catch (Exception e) when (Wire.Refusal(e) is { } refusal)
        {
            await Wire.Refuse(context, refusal);
            return;
        }

        var usage = new UsageDetails
        {
            InputTokenCount = responses[0].Usage?.InputTokenCount ?? 0,
            OutputTokenCount = responses.Sum(r => r.Usage?.OutputTokenCount ?? 0),
            CachedInputTokenCount = 0,
        };
        limiter.Settle(estimate, usage.OutputTokenCount ?? 0);
        var id = "chatcmpl-" + responses[0].ResponseId;
        var created = state.Time.GetUtcNow().ToUnixTimeSeconds();
        if (!request.Stream)
        {
            var body = new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion",
                ["created"] = created,
                ["model"] = request.Model,
                ["choices"] = new JsonArray([.. responses.Select((r, i) => (JsonNode)new JsonObject
                {
                    ["index"] = i,
                    ["message"] = Message(r),
                    ["logprobs"] = null,
                    ["finish_reason"] = Finish(r),
                })]),
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
        JsonObject Chunk(int index, JsonObject delta, string? finishReason) => new()
        {
            ["id"] = id,
            ["object"] = "chat.completion.chunk",
            ["created"] = created,
            ["model"] = request.Model,
            ["system_fingerprint"] = "fp_fanout_sim",
            ["choices"] = new JsonArray(new JsonObject { ["index"] = index, ["delta"] = delta, ["logprobs"] = null, ["finish_reason"] = finishReason }),
        };

        // Every chunk in order; faults strike at the middle one of those that carry content.
        var chunks = new List<(string Data, bool Content)>();
        for (var c = 0; c < responses.Length; c++)
        {
            var response = responses[c];
            var calls = response.Messages[^1].Contents.OfType<FunctionCallContent>().ToList();
            chunks.Add((Chunk(c, new JsonObject { ["role"] = "assistant", ["content"] = calls.Count > 0 ? null : "" }, null).ToJsonString(), false));
            foreach (var piece in SimulatorState.Pieces(response.Text))
            {
                chunks.Add((Chunk(c, new JsonObject { ["content"] = piece }, null).ToJsonString(), true));
            }

            for (var i = 0; i < calls.Count; i++)
            {
                chunks.Add((Chunk(c, ToolCallDelta(i, new JsonObject
                {
                    ["id"] = calls[i].CallId,
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = calls[i].Name, ["arguments"] = "" },
                }), null).ToJsonString(), false));
                foreach (var piece in SimulatorState.Pieces(Wire.ArgumentsJson(calls[i]).ToJsonString()))
                {
                    chunks.Add((Chunk(c, ToolCallDelta(i, new JsonObject { ["function"] = new JsonObject { ["arguments"] = piece } }), null).ToJsonString(), true));
                }
            }

            chunks.Add((Chunk(c, new JsonObject(), Finish(response)).ToJsonString(), false));
        }

        var content = chunks.Select((chunk, i) => (chunk, i)).Where(x => x.chunk.Content).Select(x => x.i).ToList();
        var middle = content.Count == 0 ? -1 : content[content.Count / 2];
        for (var i = 0; i < chunks.Count; i++)
        {
            if (fault == HttpFault.TruncatedStream && i == middle)
            {
                context.Abort();
                return;
            }

            var data = chunks[i].Data;
            if (fault == HttpFault.MalformedJson && i == middle)
            {
                data = data[..(data.Length / 2)];
            }

            await HttpWrite.Event(context, null, data);
        }

        if (request.IncludeUsage)
        {
            var last = Chunk(0, new JsonObject(), null);
            last["choices"] = new JsonArray();
            last["usage"] = Usage(usage);
            await HttpWrite.Event(context, null, last.ToJsonString());
        }

        await HttpWrite.Event(context, null, "[DONE]");
    }

    private static JsonObject ToolCallDelta(int index, JsonObject call)
    {
        call["index"] = index;
        return new JsonObject { ["tool_calls"] = new JsonArray(call) };
    }

    private static string Finish(ChatResponse response) =>
        response.FinishReason == ChatFinishReason.ToolCalls ? "tool_calls" : response.FinishReason == ChatFinishReason.Length ? "length" : "stop";

    /// <summary>The assistant message of one choice: its text, or its tool calls with <c>content: null</c>.</summary>
    private static JsonObject Message(ChatResponse response)
    {
        var calls = response.Messages[^1].Contents.OfType<FunctionCallContent>().ToList();
        var message = new JsonObject { ["role"] = "assistant", ["content"] = calls.Count > 0 ? null : response.Text, ["refusal"] = null };
        if (calls.Count > 0)
        {
            message["tool_calls"] = new JsonArray([.. calls.Select(c => (JsonNode)new JsonObject
            {
                ["id"] = c.CallId,
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = Wire.ArgumentsJson(c).ToJsonString() },
            })]);
        }

        return message;
    }

    /// <summary>Writes the <c>x-ratelimit-*</c> headers of the key's configured limits.</summary>
    internal static void Headers(HttpContext context, KeyLimiter limiter)
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

    private static ChatRequest Parse(JsonElement root, SimulatorState state)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw RequestException.Invalid("The request body must be a JSON object.");
        }

        var model = Wire.String(root, "model") ?? throw RequestException.Invalid("you must provide a model parameter", "model");
        if (!Wire.Serves(state.Options.Simulation, model))
        {
            throw new RequestException(404, $"The model `{model}` does not exist or you do not have access to it.", "model");
        }

        if (Wire.Get(root, "messages") is not { ValueKind: JsonValueKind.Array } messages)
        {
            throw RequestException.Invalid("Missing required parameter: 'messages'.", "messages");
        }

        var list = messages.EnumerateArray().Select((m, i) => ParseMessage(m, $"messages[{i}]")).ToList();
        if (list.Count == 0)
        {
            throw RequestException.Invalid("[] is too short - 'messages'", "messages");
        }

        if (Wire.UnansweredResult(list) is { } orphan)
        {
            throw RequestException.Invalid(
                $"Invalid parameter: messages with role 'tool' must be a response to a preceding message with 'tool_calls' (tool_call_id '{orphan}').", "messages");
        }

        var maxTokens = Wire.Whole(root, "max_completion_tokens", 1, Wire.MaxOutputTokens) ?? Wire.Whole(root, "max_tokens", 1, Wire.MaxOutputTokens);
        var options = new ChatOptions
        {
            ModelId = model,
            Temperature = (float?)Wire.Number(root, "temperature"),
            MaxOutputTokens = (int?)maxTokens,
            Seed = Wire.Whole(root, "seed", long.MinValue, long.MaxValue),
            StopSequences = Wire.Stops(root, "stop", 4),
            AllowMultipleToolCalls = Wire.Bool(root, "parallel_tool_calls"),
        };
        var tools = Wire.Array(root, "tools").Select((t, i) =>
        {
            var function = Wire.Get(t, "function") ?? throw RequestException.Invalid($"Missing required parameter: 'tools[{i}].function'.", $"tools[{i}].function");
            var name = Wire.String(function, "name", $"tools[{i}].function.name")
                ?? throw RequestException.Invalid($"Missing required parameter: 'tools[{i}].function.name'.", $"tools[{i}].function.name");
            return (AITool)Wire.Tool(name, Wire.String(function, "description"), Wire.Get(function, "parameters"));
        }).ToList();
        if (tools.Count > 0)
        {
            options.Tools = tools;
        }

        options.ToolMode = Wire.Get(root, "tool_choice") switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } c => c.GetString() switch
            {
                "none" => ChatToolMode.None,
                "auto" => ChatToolMode.Auto,
                "required" => ChatToolMode.RequireAny,
                var other => throw RequestException.Invalid($"Invalid value: '{other}'. Supported values are: 'none', 'auto', and 'required'.", "tool_choice"),
            },
            { ValueKind: JsonValueKind.Object } c when Wire.Get(c, "function") is { } f && Wire.String(f, "name") is { } name => ChatToolMode.RequireSpecific(name),
            _ => throw RequestException.Invalid("tool_choice: expected 'none', 'auto', 'required' or {type: function, function: {name}}", "tool_choice"),
        };
        if (options.ToolMode is RequiredChatToolMode && tools.Count == 0)
        {
            throw RequestException.Invalid("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.", "tool_choice");
        }

        JsonElement? schema = null;
        if (Wire.Get(root, "response_format") is { ValueKind: JsonValueKind.Object } format)
        {
            switch (Wire.String(format, "type", "response_format.type"))
            {
                case "json_object":
                    options.ResponseFormat = ChatResponseFormat.Json;
                    break;
                case "json_schema":
                    var spec = Wire.Get(format, "json_schema") ?? throw RequestException.Invalid("Missing required parameter: 'response_format.json_schema'.", "response_format.json_schema");
                    schema = Wire.Get(spec, "schema")?.Clone();
                    options.ResponseFormat = schema is { } sc ? ChatResponseFormat.ForJsonSchema(sc, Wire.String(spec, "name")) : ChatResponseFormat.Json;
                    break;
            }
        }

        var stream = Wire.Bool(root, "stream") == true;
        var includeUsage = Wire.Get(root, "stream_options") is { } so && Wire.Bool(so, "include_usage") == true;
        var choices = (int)(Wire.Whole(root, "n", 1, 128) ?? 1);
        return new ChatRequest(model, list, options, schema, maxTokens, stream, includeUsage, choices);
    }

    /// <summary>One message: text and image parts, an assistant's tool calls, a tool's result.</summary>
    private static ChatMessage ParseMessage(JsonElement m, string where)
    {
        var role = Wire.String(m, "role", $"{where}.role") ?? throw RequestException.Invalid($"Missing required parameter: '{where}.role'.", $"{where}.role");
        var contents = new List<AIContent>();
        switch (Wire.Get(m, "content"))
        {
            case { ValueKind: JsonValueKind.String } text:
                contents.Add(new TextContent(text.GetString()));
                break;
            case { ValueKind: JsonValueKind.Array } parts:
                foreach (var part in parts.EnumerateArray())
                {
                    if (Wire.String(part, "text") is { } t)
                    {
                        contents.Add(new TextContent(t));
                    }
                    else if (Wire.Get(part, "image_url") is { } image && Wire.String(image, "url") is { } url)
                    {
                        contents.Add(SimulatorState.Image(url));
                    }
                }

                break;
        }

        switch (role)
        {
            case "system" or "developer":
                return new ChatMessage(ChatRole.System, contents);
            case "user":
                return new ChatMessage(ChatRole.User, contents);
            case "assistant":
                foreach (var call in Wire.Array(m, "tool_calls"))
                {
                    var function = Wire.Get(call, "function");
                    var arguments = function is { } f ? Wire.String(f, "arguments") : null;
                    JsonElement? parsed = null;
                    try
                    {
                        parsed = arguments is null ? null : JsonSerializer.Deserialize<JsonElement>(arguments);
                    }
                    catch (JsonException)
                    {
                        // Models do write broken arguments; the conversation is still valid.
                    }

                    contents.Add(new FunctionCallContent(Wire.String(call, "id") ?? "", function is { } g ? Wire.String(g, "name") ?? "" : "", Wire.Arguments(parsed)));
                }

                return new ChatMessage(ChatRole.Assistant, contents);
            case "tool":
                var id = Wire.String(m, "tool_call_id") ?? throw RequestException.Invalid($"Missing required parameter: '{where}.tool_call_id'.", $"{where}.tool_call_id");
                return new ChatMessage(ChatRole.Tool, [new FunctionResultContent(id, string.Concat(contents.OfType<TextContent>().Select(c => c.Text)))]);
            default:
                throw RequestException.Invalid($"Invalid value: '{role}'. Supported values are: 'system', 'developer', 'user', 'assistant' and 'tool'.", $"{where}.role");
        }
    }

    private sealed record ChatRequest(string Model, List<ChatMessage> Messages, ChatOptions Options, JsonElement? Schema, long? MaxTokens, bool Stream, bool IncludeUsage, int Choices);
}
