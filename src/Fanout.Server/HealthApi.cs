using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fanout.Server;

/// <summary><c>/healthz</c> (the process answers) and <c>/readyz</c> (it has started and accepts runs).</summary>
internal static class HealthApi
{
    /// <summary>The body of both checks.</summary>
    public sealed record Health(string Status, int Plans, int Runs);

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", (RunRegistry runs, FanoutServerOptions options) => TypedResults.Ok(new Health("ok", options.Plans.Count, runs.All.Count())))
            .WithTags("health").WithSummary("Liveness: the process answers");
        app.MapGet("/readyz", (IHostApplicationLifetime lifetime, RunRegistry runs, FanoutServerOptions options) =>
                lifetime.ApplicationStarted.IsCancellationRequested && !lifetime.ApplicationStopping.IsCancellationRequested
                    ? Results.Ok(new Health("ok", options.Plans.Count, runs.All.Count()))
                    : Problems.Result(StatusCodes.Status503ServiceUnavailable, "Not ready", "the server is starting or stopping"))
            .WithTags("health").WithSummary("Readiness: started and not stopping");
    }
}
