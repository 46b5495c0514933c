using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.StaticFiles;

namespace Fanout.Server;

/// <summary>The dashboard: plain HTML, CSS and JavaScript embedded in this assembly (no build step, nothing from a CDN).</summary>
internal static class Dashboard
{
    private const string Prefix = "dashboard/";

    private static readonly Assembly Self = typeof(Dashboard).Assembly;

    private static readonly FileExtensionContentTypeProvider Types = new();

    public static bool IsAsset(PathString path) => path == "/" || path.StartsWithSegments("/assets");

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Serve("index.html")).ExcludeFromDescription();
        app.MapGet("/assets/{file}", (string file) => Serve(file)).ExcludeFromDescription();
    }

    private static IResult Serve(string file)
    {
        if (file.Contains('/', StringComparison.Ordinal) || file.Contains("..", StringComparison.Ordinal)
            || Self.GetManifestResourceStream(Prefix + file) is not { } stream)
        {
            return Problems.NotFound($"no file '{file}'");
        }

        return Results.Stream(stream, Types.TryGetContentType(file, out var type) ? type : "application/octet-stream");
    }
}
