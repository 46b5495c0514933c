using Fanout.Plans.Yaml;

namespace Fanout.Plans.Reading;

/// <summary>Reads <c>endpoint: {route, method, cors: {origins}, timeout, output}</c>: how <c>fanout serve</c> answers
/// with the plan over HTTP.</summary>
internal static class EndpointReader
{
    private const string Prefix = "endpoint: ";

    private static readonly string[] Methods = ["POST", "PUT", "PATCH"];

    /// <summary>Routes the server answers itself; a plan may not take them over.</summary>
    private static readonly string[] Reserved = ["/runs", "/plans", "/healthz", "/readyz", "/openapi", "/api", "/assets"];

    public static PlanEndpoint? Read(MappingNode map, ReadContext ctx)
    {
        ctx.CheckFields(map, PlanFields.Endpoint, Prefix);
        string? route = null;
        if (map["route"] is not { } routeNode)
        {
            ctx.Error(Prefix + "'route' is required, e.g. route: /seo", map);
        }
        else if (ctx.String(routeNode, "route", Prefix) is { } text)
        {
            if (RouteProblem(text) is { } problem)
            {
                ctx.Error(Prefix + problem, routeNode);
            }
            else
            {
                route = text;
            }
        }

        var endpoint = new PlanEndpoint { Route = route ?? "/", Location = map.Location };
        if (map["method"] is { } method && ctx.String(method, "method", Prefix) is { } m)
        {
            if (Methods.Contains(m))
            {
                endpoint = endpoint with { Method = m };
            }
            else
            {
                ctx.Error($"{Prefix}'method' must be one of: {string.Join(", ", Methods)}; got '{m}'", method);
            }
        }

        if (map["timeout"] is { } timeout && ctx.Duration(timeout, "timeout", Prefix) is { } t)
        {
            if (t <= TimeSpan.Zero)
            {
                ctx.Error(Prefix + "'timeout' must be more than 0", timeout);
            }
            else
            {
                endpoint = endpoint with { Timeout = t };
            }
        }

        if (map["output"] is { } output)
        {
            endpoint = endpoint with { Output = ctx.String(output, "output", Prefix) };
        }

        if (map["cors"] is { } cors && ctx.Mapping(cors, "cors", Prefix) is { } corsMap)
        {
            endpoint = endpoint with { CorsOrigins = [.. ReadOrigins(corsMap, ctx)] };
        }

        return route is null ? null : endpoint;
    }

    /// <summary>After the tasks are read: the answer's task exists, or the plan has exactly one task nothing needs.</summary>
    public static void CheckOutput(PlanDefinition plan, Node? at, ReadContext ctx)
    {
        if (plan.Endpoint is not { } endpoint || at is not MappingNode map || plan.Tasks.IsEmpty)
        {
            return;
        }

        var ids = plan.Tasks.Select(t => t.Id).ToList();
        if (endpoint.Output is { } output)
        {
            if (!ids.Contains(output))
            {
                ctx.Error($"{Prefix}'output' names unknown task '{output}'{Names.DidYouMean(output, ids)}", map["output"]!);
            }

            return;
        }

        var needed = plan.Tasks.SelectMany(t => t.Needs).ToHashSet(StringComparer.Ordinal);
        var sinks = ids.Where(id => !needed.Contains(id)).ToList();
        if (sinks.Count != 1)
        {
            ctx.Error($"{Prefix}the plan ends in {sinks.Count} tasks ({string.Join(", ", sinks)}); set 'output' to the one whose output is the answer", map);
        }
    }

    private static IEnumerable<string> ReadOrigins(MappingNode map, ReadContext ctx)
    {
        const string CorsPrefix = Prefix + "cors: ";
        ctx.CheckFields(map, ["origins"], CorsPrefix);
        if (map["origins"] is not { } origins || ctx.Sequence(origins, "origins", CorsPrefix) is not { } list)
        {
            yield break;
        }

        foreach (var item in list.Items)
        {
            if (ctx.String(item, "origins", CorsPrefix) is not { } origin)
            {
                continue;
            }

            // A wildcard would let any site call the endpoint with the caller's token; origins are named one by one.
            if (origin.Contains('*', StringComparison.Ordinal))
            {
                ctx.Error($"{CorsPrefix}'*' is not allowed: name each origin (scheme://host[:port])", item);
            }
            else if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
                     || uri.AbsolutePath != "/" || origin.EndsWith('/') || !string.IsNullOrEmpty(uri.Query))
            {
                ctx.Error($"{CorsPrefix}'{origin}' is not an origin: write scheme://host[:port] without a path", item);
            }
            else
            {
                yield return origin;
            }
        }
    }

    private static string? RouteProblem(string route)
    {
        if (!route.StartsWith('/') || route.Length < 2)
        {
            return $"'route' must start with '/' and name a path, got '{route}'";
        }

        if (route.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '/' or '-' or '_' or '.')))
        {
            return $"'route' may hold only letters, digits, '/', '-', '_' and '.', got '{route}'";
        }

        return Reserved.FirstOrDefault(r => route == r || route.StartsWith(r + "/", StringComparison.Ordinal)) is { } taken
            ? $"'route' {route} is the server's own ({taken}); choose another"
            : null;
    }
}
