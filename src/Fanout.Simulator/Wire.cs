using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Providers.Simulation;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace Fanout.Simulator;

/// <summary>Which API's conventions a response follows (error shape, request-id header).</summary>
internal enum Api
{
    OpenAI,
    Anthropic,
}

/// <summary>
/// A request the provider would refuse, with the provider-style message the client gets (never a .NET exception's
/// text: that says nothing to the client and may leak internals).
/// </summary>
internal sealed class RequestException(int status, string message, string? param = null) : Exception(message)
{
    public int Status { get; } = status;

    public string? Param { get; } = param;

    public static RequestException Invalid(string message, string? param = null) => new(400, message, param);
}

/// <summary>Reading request bodies and writing provider-shaped errors, shared by every endpoint.</summary>
internal static class Wire
{
    /// <summary>The largest <c>max_tokens</c> accepted: past any model's output window, and far below what would overflow a limiter.</summary>
    public const long MaxOutputTokens = 1_000_000;

    /// <summary>The API a request speaks: Anthropic clients send <c>anthropic-version</c> or <c>x-api-key</c>, and <c>/v1/messages</c> is theirs.</summary>
    public static Api ApiOf(HttpRequest request) =>
        request.Path.StartsWithSegments("/v1/messages") || request.Headers.ContainsKey("anthropic-version") || request.Headers.ContainsKey("x-api-key")
            ? Api.Anthropic
            : Api.OpenAI;

    /// <summary>The request's JSON body; a body that is not JSON is the provider's 400.</summary>
    public static async Task<JsonDocument> Body(HttpContext context)
    {
        try
        {
            return await JsonDocument.ParseAsync(context.Request.Body, new JsonDocumentOptions { MaxDepth = 256 }, context.RequestAborted);
        }
        catch (JsonException)
        {
            throw RequestException.Invalid(ApiOf(context.Request) == Api.Anthropic
                ? "There was an error parsing the body of your request: it is not valid JSON."
                : "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)");
        }
    }

    /// <summary>Writes an error in <paramref name="api"/>'s shape, with the type and code that status has there.</summary>
    public static Task Error(HttpContext context, Api api, int status, string message, string? param = null, string? code = null)
    {
        if (api == Api.Anthropic)
        {
            var type = status switch
            {
                400 => "invalid_request_error",
                401 => "authentication_error",
                403 => "permission_error",
                404 => "not_found_error",
                413 => "request_too_large",
                429 => "rate_limit_error",
                529 => "overloaded_error",
                _ => "api_error",
            };
            return HttpWrite.Json(context, status, new JsonObject
            {
                ["type"] = "error",
                ["error"] = new JsonObject { ["type"] = type, ["message"] = message },
            });
        }

        var openAIType = status switch
        {
            429 => "rate_limit_exceeded",
            >= 500 => "server_error",
            _ => "invalid_request_error",
        };
        return HttpWrite.Json(context, status, new JsonObject
        {
            ["error"] = new JsonObject { ["message"] = message, ["type"] = openAIType, ["param"] = param, ["code"] = code ?? (status == 401 ? "invalid_api_key" : null) },
        });
    }

    /// <summary>The provider's refusal <paramref name="e"/> stands for, or null when it is not one the simulator explains.</summary>
    public static RequestException? Refusal(Exception e) => e switch
    {
        RequestException r => r,
        SimulationRejectedException s => RequestException.Invalid(s.Message),
        // A field of the wrong JSON type somewhere the reader did not check by name.
        InvalidOperationException or KeyNotFoundException or FormatException or OverflowException =>
            RequestException.Invalid("The request body does not match the API's schema: a field has the wrong type."),
        _ => null,
    };

    /// <summary>Writes a refusal in the shape of the request's API.</summary>
    public static Task Refuse(HttpContext context, RequestException refusal) =>
        Error(context, ApiOf(context.Request), refusal.Status, refusal.Message, refusal.Param);

    public static JsonElement? Get(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public static string? String(JsonElement obj, string name, string? param = null) => Get(obj, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        _ => throw RequestException.Invalid($"{param ?? name}: expected a string", param ?? name),
    };

    public static bool? Bool(JsonElement obj, string name) => Get(obj, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw RequestException.Invalid($"{name}: expected a boolean", name),
    };

    public static double? Number(JsonElement obj, string name) => Get(obj, name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Number } n => n.GetDouble(),
        _ => throw RequestException.Invalid($"{name}: expected a number", name),
    };

    /// <summary>A whole number in [<paramref name="min"/>, <paramref name="max"/>], or the provider's 400 naming the field.</summary>
    public static long? Whole(JsonElement obj, string name, long min, long max)
    {
        if (Number(obj, name) is not { } value)
        {
            return null;
        }

        if (value != Math.Floor(value) || value < min || value > max)
        {
            throw RequestException.Invalid($"{name}: expected a whole number from {min} to {max}, got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}", name);
        }

        return (long)value;
    }

    public static IEnumerable<JsonElement> Array(JsonElement obj, string name) => Get(obj, name) switch
    {
        null => [],
        { ValueKind: JsonValueKind.Array } a => a.EnumerateArray(),
        _ => throw RequestException.Invalid($"{name}: expected an array", name),
    };

    /// <summary>A stop list: a string or an array of at most <paramref name="max"/> strings.</summary>
    public static List<string>? Stops(JsonElement root, string name, int max)
    {
        var value = Get(root, name);
        var stops = value switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } s => [s.GetString()!],
            { ValueKind: JsonValueKind.Array } a => a.EnumerateArray()
                .Select(e => e.ValueKind == JsonValueKind.String ? e.GetString()! : throw RequestException.Invalid($"{name}: expected strings", name)).ToList(),
            _ => throw RequestException.Invalid($"{name}: expected a string or an array of strings", name),
        };
        return stops is { Count: > 0 } && stops.Count > max ? throw RequestException.Invalid($"{name}: at most {max} sequences", name) : stops;
    }

    /// <summary>Arguments as the generator's tool calls carry them: the object's properties, each a JSON value.</summary>
    public static Dictionary<string, object?> Arguments(JsonElement? input) =>
        input is { ValueKind: JsonValueKind.Object } o
            ? o.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone())
            : [];

    /// <summary>A tool call's arguments as the JSON object a response carries.</summary>
    public static JsonObject ArgumentsJson(FunctionCallContent call) =>
        JsonSerializer.SerializeToNode(call.Arguments ?? new Dictionary<string, object?>(), AIJsonUtilities.DefaultOptions) as JsonObject ?? [];

    /// <summary>A declared tool; one without a parameter schema takes any object.</summary>
    public static AIFunctionDeclaration Tool(string name, string? description, JsonElement? schema) =>
        AIFunctionFactory.CreateDeclaration(name, description, schema is { ValueKind: JsonValueKind.Object } s ? s.Clone() : EmptySchema);

    private static readonly JsonElement EmptySchema = JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement.Clone();

    /// <summary>The first tool result that answers no call made earlier in the conversation (providers refuse those), or null.</summary>
    public static string? UnansweredResult(IEnumerable<ChatMessage> messages)
    {
        var calls = new HashSet<string>(StringComparer.Ordinal);
        foreach (var content in messages.SelectMany(m => m.Contents))
        {
            if (content is FunctionCallContent call)
            {
                calls.Add(call.CallId);
            }
            else if (content is FunctionResultContent result && !calls.Contains(result.CallId))
            {
                return result.CallId;
            }
        }

        return null;
    }

    /// <summary>Whether a model is served: the configured model names, or any when none is configured or <c>*</c> is.</summary>
    public static bool Serves(SimulationSettings settings, string model) =>
        settings.Models.Count == 0 || settings.Models.ContainsKey(SimulationSettings.AnyModel) || settings.Models.ContainsKey(model);

    /// <summary>The <c>n</c>-th choice's options: the request's own for the first, another seed for each further one.</summary>
    public static ChatOptions Choice(ChatOptions options, int index)
    {
        if (index == 0)
        {
            return options;
        }

        var copy = options.Clone();
        copy.Seed = (options.Seed ?? 0) ^ ((long)index << 40);
        return copy;
    }
}
