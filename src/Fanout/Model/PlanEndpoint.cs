using System.Collections.Immutable;

namespace Fanout;

/// <summary>
/// The plan served as an HTTP endpoint by <c>fanout serve</c> (<c>endpoint:</c>): a request's JSON body is the run's
/// inputs, and the answer is the output of <see cref="Output"/> once the run ends.
/// </summary>
public sealed record PlanEndpoint
{
    /// <summary>The route, starting with '/' (e.g. <c>/seo</c>).</summary>
    public required string Route { get; init; }

    /// <summary>The HTTP method (upper case): POST unless the plan says otherwise.</summary>
    public string Method { get; init; } = "POST";

    /// <summary>Origins a browser may call the endpoint from (CORS); empty: same-origin only. Never a wildcard.</summary>
    public ImmutableArray<string> CorsOrigins { get; init; } = [];

    /// <summary>How long a request waits for the run before answering 504 (the run goes on).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The task whose output is the answer; null: the plan's only task that nothing depends on.</summary>
    public string? Output { get; init; }

    /// <summary>Where the entry is written.</summary>
    public SourceLocation? Location { get; init; }
}
