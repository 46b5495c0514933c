using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Fanout.Simulator;

/// <summary>
/// The simulator as a running HTTP server on 127.0.0.1: OpenAI <c>/v1/chat/completions</c> and
/// <c>/v1/images/generations</c>, Anthropic <c>/v1/messages</c>, with per-key limits and injected faults.
/// Official SDKs talk to it by setting their base URL to <see cref="Address"/> (OpenAI: <c>Address + "v1"</c>).
/// </summary>
public sealed class SimulatorServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SimulatorServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

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
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", (HttpContext context) => OpenAIEndpoint.Handle(context, state));
        app.MapPost("/v1/messages", (HttpContext context) => AnthropicEndpoint.Handle(context, state));
        app.MapPost("/v1/images/generations", (HttpContext context) => ImagesEndpoint.Handle(context, state));
        await app.StartAsync(cancellationToken);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SimulatorServer(app, new Uri(bound.TrimEnd('/') + "/"));
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> fires, then stops.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
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
