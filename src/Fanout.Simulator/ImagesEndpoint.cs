using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Providers.Images;
using Microsoft.AspNetCore.Http;

namespace Fanout.Simulator;

/// <summary><c>POST /v1/images/generations</c>: real PNGs (base64 in <c>b64_json</c>) whose colours follow from the prompt.</summary>
internal static class ImagesEndpoint
{
    private const int MaxSide = 1024;

    public static async Task Handle(HttpContext context, SimulatorState state)
    {
        var limiter = state.Authenticate(context.Request);
        if (limiter is null)
        {
            await Error(context, 401, "Incorrect API key provided.", "invalid_request_error");
            return;
        }

        string prompt;
        int count, width, height;
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            var root = document.RootElement;
            prompt = root.GetProperty("prompt").GetString() ?? throw new FormatException("'prompt' is required");
            count = root.TryGetProperty("n", out var n) && n.ValueKind == JsonValueKind.Number ? Math.Clamp(n.GetInt32(), 1, 10) : 1;
            (width, height) = Size(root.TryGetProperty("size", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString()! : "1024x1024");
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
        {
            await Error(context, 400, $"Invalid request body: {e.Message}", "invalid_request_error");
            return;
        }

        var admission = limiter.TryAdmit(0, 0);
        if (!admission.Admitted)
        {
            HttpWrite.RetryAfter(context, admission.RetryAfter);
            await Error(context, 429, $"Rate limit reached for key '{limiter.Key.Alias}' (simulated).", "rate_limit_exceeded");
            return;
        }

        var fault = state.NextFault();
        switch (fault)
        {
            case HttpFault.ServerError:
                await Error(context, 500, "The server had an error while processing your request (simulated).", "server_error");
                return;
            case HttpFault.Unavailable:
                await Error(context, 503, "The engine is currently overloaded, please try again later (simulated).", "server_error");
                return;
            case HttpFault.Timeout:
                await HttpWrite.Hang(context);
                return;
            case HttpFault.Reset:
            case HttpFault.TruncatedStream:
                context.Abort();
                return;
        }

        var data = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            var png = Png.ForPrompt(prompt, i, width, height);
            data.Add(new JsonObject { ["b64_json"] = Convert.ToBase64String(png), ["revised_prompt"] = prompt });
        }

        var body = new JsonObject { ["created"] = state.Time.GetUtcNow().ToUnixTimeSeconds(), ["data"] = data };
        await (fault == HttpFault.MalformedJson ? HttpWrite.Malformed(context, body) : HttpWrite.Json(context, 200, body));
    }

    /// <summary>"WxH", each side capped at 1024 (the picture is a gradient: bigger only costs time).</summary>
    private static (int, int) Size(string size)
    {
        var parts = size.Split('x');
        return parts.Length == 2 && int.TryParse(parts[0], out var w) && int.TryParse(parts[1], out var h) && w > 0 && h > 0
            ? (Math.Min(w, MaxSide), Math.Min(h, MaxSide))
            : (MaxSide, MaxSide);
    }

    private static Task Error(HttpContext context, int status, string message, string type) =>
        HttpWrite.Json(context, status, new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = type, ["code"] = null } });
}
