using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fanout.Simulator;

/// <summary>Small helpers to write JSON, SSE and errors.</summary>
internal static class HttpWrite
{
    public static async Task Json(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (status >= 400)
        {
            // As the providers send it, and their SDKs (and Claude Code) obey it over their own status rules.
            context.Response.Headers["x-should-retry"] = ShouldRetry(status) ? "true" : "false";
        }

        await context.Response.WriteAsync(body.ToJsonString(), Encoding.UTF8, context.RequestAborted);
    }

    /// <summary>Whether a client should retry an error status: timeouts, conflicts, rate limits and server errors, never a refusal of the request or the key.</summary>
    public static bool ShouldRetry(int status) => status is 408 or 409 or 429 or >= 500;

    /// <summary>A 200 whose body stops halfway through its JSON.</summary>
    public static async Task Malformed(HttpContext context, JsonNode body)
    {
        var text = body.ToJsonString();
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(text[..(text.Length / 2)], Encoding.UTF8, context.RequestAborted);
    }

    public static async Task Event(HttpContext context, string? name, string data)
    {
        var text = name is null ? $"data: {data}\n\n" : $"event: {name}\ndata: {data}\n\n";
        await context.Response.WriteAsync(text, Encoding.UTF8, context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
    }

    public static void StartEvents(HttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
    }

    public static void RetryAfter(HttpContext context, TimeSpan wait)
    {
        context.Response.Headers["retry-after"] = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        context.Response.Headers["retry-after-ms"] = ((long)Math.Ceiling(wait.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Waits until the client gives up (a timeout fault) or the server stops.</summary>
    public static async Task Hang(HttpContext context)
    {
        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, either.Token);
        }
        catch (OperationCanceledException)
        {
            // The client gave up: that is the point.
        }
    }

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
