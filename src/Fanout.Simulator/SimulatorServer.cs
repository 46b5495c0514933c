using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fanout.Simulator;

/// <summary>
/// The simulator as a running HTTP server on 127.0.0.1: OpenAI <c>/v1/chat/completions</c> and
/// <c>/v1/images/generations</c>, Anthropic <c>/v1/messages</c>, both Batch APIs, with per-key limits and injected faults.
/// Official SDKs talk to it by setting their base URL to <see cref="Address"/> (OpenAI: <c>Address + "v1"</c>).
/// </summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly SimulatorState _state;

    private SimulatorServer(WebApplication app, Uri address, SimulatorState state)
    {
        _app = app;
        Address = address;
        _state = state;
    }

    /// <summary>Batches created so far through either Batch API (what a resumed run must not add to).</summary>
    public int BatchesCreated => _state.Batches.Created;

    /// <summary>The root URL, for example <c>http://127.0.0.1:8089/</c>.</summary>
    public Uri Address { get; }

    /// <summary>Starts a server with <paramref name="options"/>; returns once it listens.</summary>
    public static async Task<SimulatorServer> StartAsync(SimulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var state = new SimulatorState(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        // Loopback only: the simulator accepts fake keys and must not be reachable from elsewhere.
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        // A stopping server ends its requests at once (generation waits on RequestAborted), so SIGTERM exits promptly.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var app = builder.Build();
        app.Use(Guard);
        app.MapPost("/v1/chat/completions", (HttpContext context) => OpenAIEndpoint.Handle(context, state));
        app.MapPost("/v1/messages", (HttpContext context) => AnthropicEndpoint.Handle(context, state));
        app.MapPost("/v1/messages/count_tokens", (HttpContext context) => AnthropicEndpoint.CountTokens(context, state));
        app.MapPost("/v1/images/generations", (HttpContext context) => ImagesEndpoint.Handle(context, state));
        app.MapPost("/v1/embeddings", (HttpContext context) => EmbeddingsEndpoint.Handle(context, state));
        app.MapPost("/v1/responses", (HttpContext context) => ResponsesEndpoint.Handle(context, state));
        app.MapPost("/v1/files", (HttpContext context) => state.Batches.UploadFile(context));
        app.MapGet("/v1/files/{id}", (HttpContext context, string id) => state.Batches.GetFile(context, id, content: false));
        app.MapGet("/v1/files/{id}/content", (HttpContext context, string id) => state.Batches.GetFile(context, id, content: true));
        app.MapPost("/v1/batches", (HttpContext context) => state.Batches.CreateOpenAI(context));
        app.MapGet("/v1/batches/{id}", (HttpContext context, string id) => state.Batches.GetOpenAI(context, id));
        app.MapPost("/v1/messages/batches", (HttpContext context) => state.Batches.CreateAnthropic(context));
        app.MapGet("/v1/messages/batches/{id}", (HttpContext context, string id) => state.Batches.GetAnthropic(context, id, results: false));
        app.MapGet("/v1/messages/batches/{id}/results", (HttpContext context, string id) => state.Batches.GetAnthropic(context, id, results: true));
        app.MapGet("/v1/models", (HttpContext context) => ModelsEndpoint.List(context, state));
        app.MapGet("/v1/models/{**id}", (HttpContext context, string id) => ModelsEndpoint.Get(context, state, id));
        app.MapFallback((HttpContext context) => Wire.Error(context, Wire.ApiOf(context.Request), 404,
            $"Invalid URL ({context.Request.Method} {context.Request.Path})", code: "unknown_url"));
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var address = new Uri(bound.TrimEnd('/') + "/");
        state.Batches.Self = address;
        return new SimulatorServer(app, address, state);
    }

    /// <summary>
    /// Every request: its id header (<c>x-request-id</c>; Anthropic's <c>request-id</c> too), its end tied to the
    /// server's, and any failure the endpoints did not explain answered as the API's own 500 (never .NET's text).
    /// </summary>
    private static async Task Guard(HttpContext context, RequestDelegate next)
    {
        var id = "req_" + Guid.NewGuid().ToString("N")[..24];
        void Identify()
        {
            context.Response.Headers["x-request-id"] = id;
            if (Wire.ApiOf(context.Request) == Api.Anthropic)
            {
                context.Response.Headers["request-id"] = id;
            }
        }

        Identify();

        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        context.RequestAborted = ended.Token;
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (ended.IsCancellationRequested)
        {
            context.Abort();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (context.Response.HasStarted)
            {
                context.Abort();
                return;
            }

            context.Response.Clear();
            Identify();
            await Wire.Error(context, Wire.ApiOf(context.Request), 500, "The server had an error while processing your request (simulator fault, not a simulated one).");
        }
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> fires or the host is told to stop (SIGTERM), then stops.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        var stopping = _app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, either.Token);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: stop below.
        }

        await _app.StopAsync(CancellationToken.None);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
