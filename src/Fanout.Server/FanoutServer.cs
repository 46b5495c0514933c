using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fanout.Server;

/// <summary>
/// <c>fanout serve</c> as an ASP.NET Core application: the runs API, plans as endpoints, the dashboard. Runs are driven by
/// an <see cref="IRunHost"/> (a <see cref="LocalRunHost"/> unless another is given), the same API the CLI runs through.
/// </summary>
public static class FanoutServer
{
    /// <summary>
    /// The configured application, not yet started. Throws <see cref="InvalidOperationException"/> when the options are
    /// unsafe (a non-loopback address without tokens) or inconsistent (two plans with one name or one route).
    /// </summary>
    public static WebApplication Build(FanoutServerOptions options, IRunHost? host = null, Action<IServiceCollection>? services = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Check(options);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production, ApplicationName = "Fanout.Server" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.Address, options.Port);
            kestrel.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
            json.SerializerOptions.TypeInfoResolverChain.Add(new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver());
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(host ?? new LocalRunHost());
        builder.Services.AddSingleton<RunRegistry>();
        builder.Services.AddSingleton(new TokenChecker(options.Tokens));
        builder.Services.AddCors(cors => PlanEndpoints.AddPolicies(cors, options.Plans));
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => RateLimitPartition.GetFixedWindowLimiter(
                context.Items.ContainsKey("fanout.caller") ? "token:" + Caller.Of(context).Name : "ip:" + context.Connection.RemoteIpAddress,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = options.RequestsPerMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
            limiter.OnRejected = (rejected, _) => new ValueTask(Problems.Write(rejected.HttpContext, StatusCodes.Status429TooManyRequests,
                "Too many requests", "this caller's request limit per minute is used up; try again shortly"));
        });
        services?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // Never the exception's text: a fixed problem for anything unexpected.
            ExceptionHandler = context => Problems.Write(context, StatusCodes.Status500InternalServerError, "Internal error", "the server could not complete the request"),
        });
        app.UseStatusCodePages(context => Problems.WriteStatus(context.HttpContext));
        app.Use(SecurityHeaders);
        app.Use(Authenticate);
        app.UseRateLimiter();
        app.UseRouting();
        app.UseCors();
        app.MapOpenApi();
        Dashboard.Map(app);
        HealthApi.Map(app);
        RunsApi.Map(app);
        PlanEndpoints.Map(app, options.Plans);
        return app;
    }

    /// <summary>The addresses a started application listens on (with the port chosen when <see cref="FanoutServerOptions.Port"/> was 0).</summary>
    public static IReadOnlyList<string> Urls(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];
    }

    private static void Check(FanoutServerOptions options)
    {
        if (!IPAddress.IsLoopback(options.Address) && options.Tokens.Count == 0)
        {
            throw new InvalidOperationException($"refusing to listen on {options.Address} without tokens: set FANOUT_SERVER_TOKENS (or listen on loopback)");
        }

        if (options.Tokens.Any(t => t.Value.Length < 16))
        {
            throw new InvalidOperationException("every token must be at least 16 characters");
        }

        if (options.Plans.GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new InvalidOperationException($"two plans are named '{twice.Key}': {string.Join(", ", twice.Select(p => p.Graph.Plan.SourceFile))}");
        }

        if (options.Plans.Where(p => p.Graph.Plan.Endpoint is not null).GroupBy(p => p.Graph.Plan.Endpoint!.Route, StringComparer.Ordinal)
                .FirstOrDefault(g => g.Count() > 1) is { } route)
        {
            throw new InvalidOperationException($"two plans answer {route.Key}: {string.Join(", ", route.Select(p => p.Name))}");
        }
    }

    private static async Task SecurityHeaders(HttpContext context, RequestDelegate next)
    {
        var headers = context.Response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = "default-src 'self'; style-src 'self'; script-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers.CacheControl = "no-store";
        await next(context);
    }

    /// <summary>Every route but health checks, the OpenAPI document and the dashboard's files needs a token when the
    /// server has any; a request without a valid one is answered 401 here.</summary>
    private static async Task Authenticate(HttpContext context, RequestDelegate next)
    {
        var checker = context.RequestServices.GetRequiredService<TokenChecker>();
        var caller = checker.Authenticate(context.Request.Headers.Authorization);
        if (caller is not null)
        {
            caller.Attach(context);
        }
        else if (!IsPublic(context.Request) && !HttpMethods.IsOptions(context.Request.Method))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Problems.Write(context, StatusCodes.Status401Unauthorized, "Unauthorized", "send a valid token as 'Authorization: Bearer TOKEN'");
            return;
        }

        await next(context);
    }

    private static bool IsPublic(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && (request.Path == "/healthz" || request.Path == "/readyz" || request.Path.StartsWithSegments("/openapi")
                                              || Dashboard.IsAsset(request.Path));
}
