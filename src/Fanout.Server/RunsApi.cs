using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fanout.Plans;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Fanout.Server;

/// <summary>The runs API: submit, list, read, follow (SSE), cancel, report.</summary>
internal static class RunsApi
{
    /// <summary>A run as lists and submissions show it.</summary>
    public sealed record RunSummary(
        string RunId, string Plan, string Status, string Owner, DateTimeOffset CreatedAt, long LastEvent,
        double? MakespanMs, double? Speedup, double? Efficiency, decimal? CostUsd, IReadOnlyDictionary<string, string> Tasks);

    /// <summary>One page of runs, newest first.</summary>
    public sealed record RunPage(IReadOnlyList<RunSummary> Runs, int Total, int Offset, int Limit);

    /// <summary>A plan the server runs.</summary>
    public sealed record PlanInfo(string Name, string? Description, IReadOnlyList<InputInfo> Inputs, EndpointInfo? Endpoint);

    /// <summary>One declared input.</summary>
    public sealed record InputInfo(string Name, string? Description, bool Required, JsonElement Schema);

    /// <summary>Where a plan is served as an endpoint.</summary>
    public sealed record EndpointInfo(string Method, string Route);

    public const int MaxPage = 200;

    public static void Map(IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/runs").WithTags("runs");
        runs.MapPost("", SubmitAsync).WithSummary("Start a run of a served plan (by name) or an inline plan (admin): 202 with Location")
            .Accepts<JsonElement>("application/json").Produces<RunSummary>(StatusCodes.Status202Accepted).ProducesProblem(400).ProducesProblem(413).ProducesProblem(415);
        runs.MapGet("", List).WithSummary("Runs this caller may see, newest first; ?status=…&offset=…&limit=…");
        runs.MapGet("/{id}", Get).WithSummary("A run: its report (run.json's fields) once ended, else its live state").ProducesProblem(404);
        runs.MapGet("/{id}/events", Events).WithSummary("The run's events as server-sent events; resume with Last-Event-ID").ProducesProblem(404);
        runs.MapPost("/{id}/cancel", Cancel).WithSummary("Cancel a running run").ProducesProblem(404).ProducesProblem(409);
        runs.MapGet("/{id}/report", Report).WithSummary("The run's HTML report").ProducesProblem(404).ProducesProblem(409);
        app.MapGet("/plans", (FanoutServerOptions options) => options.Plans.OrderBy(p => p.Name, StringComparer.Ordinal).Select(Describe).ToList())
            .WithTags("plans").WithSummary("The plans this server runs");
    }

    public static RunSummary Summarize(ServerRun run)
    {
        var report = run.Report;
        return new(run.Id, run.Plan.Name, run.Status, run.Owner, run.CreatedAt, run.Handle.LastSequence,
            report?.MakespanMs, report?.Speedup, report?.Efficiency, report?.CostUsd,
            run.Tasks.ToDictionary(t => t.Key, t => t.Value.ToWire(), StringComparer.Ordinal));
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, RunRegistry registry, FanoutServerOptions options, CancellationToken cancellationToken)
    {
        var (body, problem) = await RequestBody.ReadObjectAsync(context.Request, options.MaxRequestBodyBytes, cancellationToken);
        if (problem is not null)
        {
            return problem;
        }

        var caller = Caller.Of(context);
        var (plan, planProblem) = Plan(body!.Value, caller, options);
        if (planProblem is not null)
        {
            return planProblem;
        }

        var given = body.Value.TryGetProperty("inputs", out var i) ? i : JsonSerializer.SerializeToElement(new Dictionary<string, object>());
        if (given.ValueKind != JsonValueKind.Object)
        {
            return Problems.Invalid("'inputs' must be an object", [new("inputs", $"got {InputResolver.JsonTypeOf(given)}")]);
        }

        var (inputs, inputProblem) = RequestBody.ResolveInputs(plan!, given);
        if (inputProblem is not null)
        {
            return inputProblem;
        }

        var key = context.Request.Headers["Idempotency-Key"].ToString();
        (string, string)? idempotency = key.Length == 0 ? null : (key, Fingerprint(body.Value));
        var started = await StartAsync(registry, plan!, inputs!.Value, caller, idempotency, cancellationToken);
        if (started.Problem is not null)
        {
            return started.Problem;
        }

        context.Response.Headers["Location"] = $"/runs/{started.Run!.Id}";
        return TypedResults.Json(Summarize(started.Run), statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>Starts a run, answering a problem for what the caller can fix (bad provider settings, a reused key).</summary>
    public static async Task<(ServerRun? Run, IResult? Problem)> StartAsync(
        RunRegistry registry, ServerPlan plan, JsonElement inputs, Caller caller, (string, string)? idempotency, CancellationToken cancellationToken)
    {
        try
        {
            return ((await registry.StartAsync(plan, inputs, caller, idempotency, cancellationToken)).Run, null);
        }
        catch (PlanException e)
        {
            return (null, Problems.Invalid($"plan '{plan.Name}' cannot run", e.Diagnostics.Select(d => new Problems.FieldError(null, d.ToString()))));
        }
        catch (IdempotencyConflictException e)
        {
            return (null, Problems.Result(StatusCodes.Status422UnprocessableEntity, "Idempotency-Key reused", e.Message));
        }
    }

    private static (ServerPlan? Plan, IResult? Problem) Plan(JsonElement body, Caller caller, FanoutServerOptions options)
    {
        if (body.TryGetProperty("plan_text", out var text))
        {
            // An inline plan may run processes on this machine: only an admin may send one.
            if (!caller.Admin)
            {
                return (null, Problems.Result(StatusCodes.Status403Forbidden, "Forbidden", "only an admin token may submit an inline plan; name a served plan instead"));
            }

            if (text.ValueKind != JsonValueKind.String)
            {
                return (null, Problems.Invalid("'plan_text' must be the plan's YAML or JSON text", [new("plan_text", $"got {InputResolver.JsonTypeOf(text)}")]));
            }

            try
            {
                var source = text.GetString()!;
                return (new ServerPlan(PlanLoader.Compile(source, "plan_text", options.BaseDirectory), source), null);
            }
            catch (PlanException e)
            {
                return (null, Problems.Invalid("the inline plan is invalid", e.Diagnostics.Select(d => new Problems.FieldError("plan_text", d.ToString()))));
            }
        }

        if (!body.TryGetProperty("plan", out var name) || name.ValueKind != JsonValueKind.String)
        {
            return (null, Problems.Invalid("name a plan", [new("plan", "'plan' (a served plan's name) or 'plan_text' (an inline plan) is required")]));
        }

        var wanted = name.GetString()!;
        return options.Plans.FirstOrDefault(p => p.Name == wanted) is { } plan
            ? (plan, null)
            : (null, Problems.Invalid($"no plan named '{wanted}'", [new("plan", $"unknown plan '{wanted}'{Names.DidYouMean(wanted, options.Plans.Select(p => p.Name))}")]));
    }

    private static string Fingerprint(JsonElement body) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(body.GetRawText())));

    private static IResult List(HttpContext context, RunRegistry registry, string? status, int? offset, int? limit)
    {
        var caller = Caller.Of(context);
        if (offset < 0 || limit is < 1 or > MaxPage)
        {
            return Problems.Invalid("bad paging", [new(offset < 0 ? "offset" : "limit", $"offset must be ≥ 0 and limit from 1 to {MaxPage}")]);
        }

        var visible = registry.All.Where(r => caller.CanSee(r.Owner) && (status is null || r.Status == status))
            .OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id, StringComparer.Ordinal).ToList();
        var page = visible.Skip(offset ?? 0).Take(limit ?? 50).Select(Summarize).ToList();
        return TypedResults.Ok(new RunPage(page, visible.Count, offset ?? 0, limit ?? 50));
    }

    /// <summary>The run, when this caller may see it; someone else's run is as absent as a missing one.</summary>
    private static ServerRun? Visible(HttpContext context, RunRegistry registry, string id) =>
        registry.Find(id) is { } run && Caller.Of(context).CanSee(run.Owner) ? run : null;

    private static IResult Get(HttpContext context, RunRegistry registry, string id)
    {
        if (Visible(context, registry, id) is not { } run)
        {
            return Problems.NotFound($"no run '{id}'");
        }

        return run.Report is { } report ? Results.Text(report.ToJson(), "application/json", Encoding.UTF8) : TypedResults.Ok(Summarize(run));
    }

    private static IResult Events(HttpContext context, RunRegistry registry, string id, [FromHeader(Name = "Last-Event-ID")] string? lastEventId, long? after)
    {
        if (Visible(context, registry, id) is not { } run)
        {
            return Problems.NotFound($"no run '{id}'");
        }

        long from = after ?? 0;
        if (lastEventId is { Length: > 0 } && (!long.TryParse(lastEventId, out from) || from < 0))
        {
            return Problems.Invalid("bad Last-Event-ID", [new("Last-Event-ID", "must be the id of an event this stream sent (a whole number)")]);
        }

        return TypedResults.ServerSentEvents(Items(run.Handle, from, context.RequestAborted));
    }

    private static readonly JsonSerializerOptions EventJson = new(RunReport.JsonOptions) { WriteIndented = false };

    /// <summary>Every event after <paramref name="after"/>, losslessly (the run's stream replays, then follows), each
    /// with its sequence number as the SSE id and its kind as the event name.</summary>
    private static async IAsyncEnumerable<SseItem<string>> Items(RunHandle handle, long after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var e in handle.ReadEventsAsync(after, cancellationToken))
        {
            yield return new SseItem<string>(JsonSerializer.Serialize(e, e.GetType(), EventJson), e.EventKind.ToWire())
            {
                EventId = e.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
        }
    }

    private static IResult Cancel(HttpContext context, RunRegistry registry, string id)
    {
        if (Visible(context, registry, id) is not { } run)
        {
            return Problems.NotFound($"no run '{id}'");
        }

        if (run.Handle.Completion.IsCompleted)
        {
            return Problems.Result(StatusCodes.Status409Conflict, "Run has ended", $"run '{id}' has already ended ({run.Status})");
        }

        run.Handle.Cancel();
        context.Response.Headers["Location"] = $"/runs/{id}";
        return TypedResults.Json(Summarize(run), statusCode: StatusCodes.Status202Accepted);
    }

    private static IResult Report(HttpContext context, RunRegistry registry, string id)
    {
        if (Visible(context, registry, id) is not { } run)
        {
            return Problems.NotFound($"no run '{id}'");
        }

        return run.Report is { } report
            ? Results.Text(HtmlReport.Render(report), "text/html", Encoding.UTF8)
            : Problems.Result(StatusCodes.Status409Conflict, "Run has not ended", $"run '{id}' is {run.Status}; its report is written when it ends");
    }

    private static PlanInfo Describe(ServerPlan plan) => new(
        plan.Name, plan.Graph.Plan.Description,
        [.. plan.Graph.Plan.Inputs.Select(i => new InputInfo(i.Name, i.Description, i.Default is null, i.Schema))],
        plan.Graph.Plan.Endpoint is { } e ? new EndpointInfo(e.Method, e.Route) : null);
}
