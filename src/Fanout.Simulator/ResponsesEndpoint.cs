using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace Fanout.Simulator;

/// <summary>
/// <c>POST /v1/responses</c>, the basic OpenAI Responses API: <c>input</c> (a string or message, function-call and
/// function-call-output items), <c>instructions</c>, <c>max_output_tokens</c>, <c>text.format</c> (json_schema,
/// json_object), function <c>tools</c> with <c>tool_choice</c>, <c>stream</c>; nothing is stored.
/// </summary>
internal static class ResponsesEndpoint
{
    public static async Task Handle(HttpContext context, SimulatorState state)
    {
        var limiter = state.Authenticate(context.Request);
        if (limiter is null)
        {
            await Wire.Error(context, Api.OpenAI, 401, "Incorrect API key provided.");
            return;
        }

        string model;
        List<ChatMessage> messages;
        ChatOptions options;
        bool stream;
        try
        {
            using var document = await Wire.Body(context);
            (model, messages, options) = Parse(document.RootElement, state);
            stream = Wire.Bool(document.RootElement, "stream") == true;
        }
        catch (Exception e) when (Wire.Refusal(e) is { } refusal)
        {
            await Wire.Refuse(context, refusal);
            return;
        }

        var estimate = options.MaxOutputTokens ?? 0;
        var admission = limiter.TryAdmit(SimulatorState.EstimateTokens(messages, options), estimate);
        OpenAIEndpoint.Headers(context, limiter);
        if (!admission.Admitted)
        {
            HttpWrite.RetryAfter(context, admission.RetryAfter);
            await Wire.Error(context, Api.OpenAI, 429, $"Rate limit reached for key '{limiter.Key.Alias}' (simulated).", code: "rate_limit_exceeded");
            return;
        }

        ChatResponse response;
        try
        {
            response = await state.Generator.GetResponseAsync(messages, options, context.RequestAborted);
        }
        catch (Exception e) when (Wire.Refusal(e) is { } refusal)
        {
            await Wire.Refuse(context, refusal);
            return;
        }

        var usage = response.Usage!;
        limiter.Settle(estimate, usage.OutputTokenCount ?? 0);
        var calls = response.Messages[^1].Contents.OfType<FunctionCallContent>().ToList();
        var output = calls.Count > 0
            ? new JsonArray([.. calls.Select(c => (JsonNode)new JsonObject
            {
                ["type"] = "function_call",
                ["id"] = "fc_" + c.CallId,
                ["call_id"] = c.CallId,
                ["name"] = c.Name,
                ["arguments"] = Wire.ArgumentsJson(c).ToJsonString(),
                ["status"] = "completed",
            })])
            : new JsonArray(new JsonObject
            {
                ["type"] = "message",
                ["id"] = "msg_" + response.ResponseId,
                ["status"] = "completed",
                ["role"] = "assistant",
                ["content"] = new JsonArray(new JsonObject { ["type"] = "output_text", ["text"] = response.Text, ["annotations"] = new JsonArray() }),
            });
        var truncated = response.FinishReason == ChatFinishReason.Length;
        var body = new JsonObject
        {
            ["id"] = "resp_" + response.ResponseId,
            ["object"] = "response",
            ["created_at"] = state.Time.GetUtcNow().ToUnixTimeSeconds(),
            ["status"] = truncated ? "incomplete" : "completed",
            ["incomplete_details"] = truncated ? new JsonObject { ["reason"] = "max_output_tokens" } : null,
            ["error"] = null,
            ["model"] = model,
            ["output"] = output,
            ["parallel_tool_calls"] = options.AllowMultipleToolCalls != false,
            ["tool_choice"] = "auto",
            ["tools"] = new JsonArray(),
            ["max_output_tokens"] = options.MaxOutputTokens,
            ["usage"] = new JsonObject
            {
                ["input_tokens"] = usage.InputTokenCount ?? 0,
                ["input_tokens_details"] = new JsonObject { ["cached_tokens"] = 0 },
                ["output_tokens"] = usage.OutputTokenCount ?? 0,
                ["output_tokens_details"] = new JsonObject { ["reasoning_tokens"] = 0 },
                ["total_tokens"] = (usage.InputTokenCount ?? 0) + (usage.OutputTokenCount ?? 0),
            },
        };
        if (stream)
        {
            await Stream(context, body);
            return;
        }

        await HttpWrite.Json(context, 200, body);
    }

    /// <summary>
    /// The response as the Responses API streams it: <c>response.created</c>, per output item its added/done events
    /// around the pieces (<c>response.output_text.delta</c> for a message's text, <c>response.function_call_arguments.delta</c>
    /// for a call's arguments), then <c>response.completed</c> (or <c>response.incomplete</c>) with the whole response.
    /// </summary>
    private static async Task Stream(HttpContext context, JsonObject response)
    {
        HttpWrite.StartEvents(context);
        var sequence = 0;
        async Task Send(string type, JsonObject data)
        {
            data["type"] = type;
            data["sequence_number"] = sequence++;
            await HttpWrite.Event(context, type, data.ToJsonString());
        }

        var output = (JsonArray)response["output"]!;
        var started = (JsonObject)response.DeepClone();
        started["status"] = "in_progress";
        started["output"] = new JsonArray();
        started["usage"] = null;
        await Send("response.created", new JsonObject { ["response"] = started.DeepClone() });
        await Send("response.in_progress", new JsonObject { ["response"] = started });
        for (var i = 0; i < output.Count; i++)
        {
            var item = (JsonObject)output[i]!;
            var id = item["id"]!.GetValue<string>();
            var empty = (JsonObject)item.DeepClone();
            empty["status"] = "in_progress";
            if (item["type"]!.GetValue<string>() == "message")
            {
                var text = item["content"]![0]!["text"]!.GetValue<string>();
                empty["content"] = new JsonArray();
                await Send("response.output_item.added", new JsonObject { ["output_index"] = i, ["item"] = empty });
                var part = new JsonObject { ["type"] = "output_text", ["text"] = "", ["annotations"] = new JsonArray() };
                await Send("response.content_part.added", new JsonObject { ["item_id"] = id, ["output_index"] = i, ["content_index"] = 0, ["part"] = part });
                foreach (var piece in SimulatorState.Pieces(text))
                {
                    await Send("response.output_text.delta", new JsonObject { ["item_id"] = id, ["output_index"] = i, ["content_index"] = 0, ["delta"] = piece });
                }

                await Send("response.output_text.done", new JsonObject { ["item_id"] = id, ["output_index"] = i, ["content_index"] = 0, ["text"] = text });
                await Send("response.content_part.done", new JsonObject
                {
                    ["item_id"] = id, ["output_index"] = i, ["content_index"] = 0, ["part"] = item["content"]![0]!.DeepClone(),
                });
            }
            else
            {
                var arguments = item["arguments"]!.GetValue<string>();
                empty["arguments"] = "";
                await Send("response.output_item.added", new JsonObject { ["output_index"] = i, ["item"] = empty });
                foreach (var piece in SimulatorState.Pieces(arguments))
                {
                    await Send("response.function_call_arguments.delta", new JsonObject { ["item_id"] = id, ["output_index"] = i, ["delta"] = piece });
                }

                await Send("response.function_call_arguments.done", new JsonObject { ["item_id"] = id, ["output_index"] = i, ["arguments"] = arguments });
            }

            await Send("response.output_item.done", new JsonObject { ["output_index"] = i, ["item"] = item.DeepClone() });
        }

        var status = response["status"]!.GetValue<string>();
        await Send(status == "incomplete" ? "response.incomplete" : "response.completed", new JsonObject { ["response"] = response });
    }

    private static (string Model, List<ChatMessage> Messages, ChatOptions Options) Parse(JsonElement root, SimulatorState state)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw RequestException.Invalid("The request body must be a JSON object.");
        }

        var model = Wire.String(root, "model") ?? throw RequestException.Invalid("Missing required parameter: 'model'.", "model");
        if (!Wire.Serves(state.Options.Simulation, model))
        {
            throw new RequestException(404, $"The model `{model}` does not exist or you do not have access to it.", "model");
        }

        var messages = new List<ChatMessage>();
        if (Wire.String(root, "instructions") is { } instructions)
        {
            messages.Add(new ChatMessage(ChatRole.System, instructions));
        }

        switch (Wire.Get(root, "input"))
        {
            case { ValueKind: JsonValueKind.String } text:
                messages.Add(new ChatMessage(ChatRole.User, text.GetString()));
                break;
            case { ValueKind: JsonValueKind.Array } items:
                messages.AddRange(items.EnumerateArray().Select(Item));
                break;
            case null:
                throw RequestException.Invalid("Missing required parameter: 'input'.", "input");
            default:
                throw RequestException.Invalid("'input' must be a string or an array of input items", "input");
        }

        if (messages.All(m => m.Role == ChatRole.System))
        {
            throw RequestException.Invalid("'input' is empty: give at least one message", "input");
        }

        if (Wire.UnansweredResult(messages) is { } orphan)
        {
            throw RequestException.Invalid($"No tool call found for function call output with call_id {orphan}.", "input");
        }

        var options = new ChatOptions
        {
            ModelId = model,
            MaxOutputTokens = (int?)Wire.Whole(root, "max_output_tokens", 1, Wire.MaxOutputTokens),
            Temperature = (float?)Wire.Number(root, "temperature"),
            AllowMultipleToolCalls = Wire.Bool(root, "parallel_tool_calls"),
        };
        var tools = Wire.Array(root, "tools").Where(t => Wire.String(t, "type") == "function")
            .Select(t => (AITool)Wire.Tool(Wire.String(t, "name") ?? throw RequestException.Invalid("Missing required parameter: 'tools[].name'.", "tools"),
                Wire.String(t, "description"), Wire.Get(t, "parameters")))
            .ToList();
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
                "required" => ChatToolMode.RequireAny,
                _ => ChatToolMode.Auto,
            },
            var c when Wire.String(c.Value, "name") is { } name => ChatToolMode.RequireSpecific(name),
            _ => ChatToolMode.Auto,
        };
        if (Wire.Get(root, "text") is { } textOptions && Wire.Get(textOptions, "format") is { } format)
        {
            switch (Wire.String(format, "type", "text.format.type"))
            {
                case "json_object":
                    options.ResponseFormat = ChatResponseFormat.Json;
                    break;
                case "json_schema":
                    var schema = Wire.Get(format, "schema") ?? throw RequestException.Invalid("Missing required parameter: 'text.format.schema'.", "text.format.schema");
                    options.ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.Clone(), Wire.String(format, "name"));
                    break;
            }
        }

        return (model, messages, options);
    }

    /// <summary>One input item: a message (string or parts), a function call, or a function call's output.</summary>
    private static ChatMessage Item(JsonElement item)
    {
        switch (Wire.String(item, "type"))
        {
            case "function_call":
                JsonElement? arguments = null;
                try
                {
                    arguments = Wire.String(item, "arguments") is { } a ? JsonSerializer.Deserialize<JsonElement>(a) : null;
                }
                catch (JsonException)
                {
                    // Broken arguments from a model are still a valid conversation.
                }

                return new ChatMessage(ChatRole.Assistant, [new FunctionCallContent(Wire.String(item, "call_id") ?? "", Wire.String(item, "name") ?? "", Wire.Arguments(arguments))]);
            case "function_call_output":
                return new ChatMessage(ChatRole.Tool, [new FunctionResultContent(Wire.String(item, "call_id") ?? "", Wire.Get(item, "output") is { ValueKind: JsonValueKind.String } o ? o.GetString() : Wire.Get(item, "output")?.GetRawText())]);
        }

        var role = Wire.String(item, "role") switch
        {
            "system" or "developer" => ChatRole.System,
            "assistant" => ChatRole.Assistant,
            "user" or null => ChatRole.User,
            var other => throw RequestException.Invalid($"Invalid value: '{other}'. Supported values are: 'user', 'assistant', 'system', and 'developer'.", "input"),
        };
        var contents = new List<AIContent>();
        switch (Wire.Get(item, "content"))
        {
            case { ValueKind: JsonValueKind.String } s:
                contents.Add(new TextContent(s.GetString()));
                break;
            case { ValueKind: JsonValueKind.Array } parts:
                foreach (var part in parts.EnumerateArray())
                {
                    if (Wire.String(part, "text") is { } t)
                    {
                        contents.Add(new TextContent(t));
                    }
                    else if (Wire.String(part, "image_url") is { } url)
                    {
                        contents.Add(SimulatorState.Image(url));
                    }
                }

                break;
        }

        return new ChatMessage(role, contents);
    }
}
