using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Cors.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Fanout.Server;

/// <summary>
/// Plans with an <c>endpoint:</c> answered synchronously: the body is the inputs (validated: 400 with every problem,
/// 413, 415), the run is an ordinary run of the registry (visible in <c>/runs</c>), and the answer is the output
/// task's output; past the endpoint's timeout, 504 with the run id and what finished.
/// </summary>
internal static class PlanEndpoints
{
    public static void AddPolicies(CorsOptions cors, IEnumerable<ServerPlan> plans)
    {
        foreach (var plan in plans)
        {
            if (plan.Graph.Plan.Endpoint is { CorsOrigins.IsEmpty: false } endpoint)
            {
                // Named origins only and no credentials: the token travels in a header the origin list gates.
                cors.AddPolicy(PolicyName(plan), policy => policy.WithOrigins([.. endpoint.CorsOrigins]).WithMethods(endpoint.Method)
                    .WithHeaders("content-type", "authorization").SetPreflightMaxAge(TimeSpan.FromMinutes(10)));
            }
        }
    }

    public static void Map(IEndpointRouteBuilder app, IEnumerable<ServerPlan> plans)
    {
        foreach (var plan in plans)
        {
            if (plan.Graph.Plan.Endpoint is not { } endpoint)
            {
                continue;
            }

            var route = app.MapMethods(endpoint.Route, [endpoint.Method],
                    (HttpContext context, RunRegistry registry, FanoutServerOptions options) => AnswerAsync(context, registry, options, plan, endpoint))
                .WithTags("endpoints").WithSummary(plan.Graph.Plan.Description ?? plan.Name)
                .Accepts<JsonElement>("application/json").Produces<JsonElement>().ProducesProblem(400).ProducesProblem(413).ProducesProblem(415).ProducesProblem(504);
            if (!endpoint.CorsOrigins.IsEmpty)
            {
                route.RequireCors(PolicyName(plan));
            }
        }
    }

    private static string PolicyName(ServerPlan plan) => "endpoint:" + plan.Name;

    private static async Task<IResult> AnswerAsync(HttpContext context, RunRegistry registry, FanoutServerOptions options, ServerPlan plan, PlanEndpoint endpoint)
    {
        var (body, problem) = await RequestBody.ReadObjectAsync(context.Request, options.MaxRequestBodyBytes, context.RequestAborted);
        if (problem is not null)
        {
            return problem;
        }

        var (inputs, inputProblem) = RequestBody.ResolveInputs(plan, body!.Value);
        if (inputProblem is not null)
        {
            return inputProblem;
        }

        var (run, startProblem) = await RunsApi.StartAsync(registry, plan, inputs!.Value, Caller.Of(context), null, context.RequestAborted);
        if (startProblem is not null)
        {
            return startProblem;
        }

        context.Response.Headers["Fanout-Run-Id"] = run!.Id;
        RunReport report;
        try
        {
            report = await run.Handle.Completion.WaitAsync(endpoint.Timeout, options.Time, context.RequestAborted);
        }
        catch (TimeoutException)
        {
            // The run goes on: its result is at /runs/{id} when it ends.
            return Problems.Result(StatusCodes.Status504GatewayTimeout, "Timed out",
                $"run '{run.Id}' did not finish within {Durations.Format(endpoint.Timeout)}; it goes on, see /runs/{run.Id}",
                new Dictionary<string, object?>
                {
                    ["run_id"] = run.Id,
                    [TaskState.Succeeded.ToWire()] = run.InState(TaskState.Succeeded).ToList(),
                    [TaskState.Failed.ToWire()] = run.InState(TaskState.Failed).ToList(),
                    [TaskState.Running.ToWire()] = run.InState(TaskState.Running).ToList(),
                });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return RunFailed(run.Id, "the run could not go on");
        }

        var output = endpoint.Output ?? OnlySink(plan.Graph.Plan);
        return report.Tasks.FirstOrDefault(t => t.Id == output) is { Status: TaskState.Succeeded, Output: { } answer }
            ? TypedResults.Json(answer)
            : RunFailed(run.Id, report.Tasks.FirstOrDefault(t => t.Id == output)?.Error ?? $"task '{output}' did not succeed ({report.Status.ToWire()})");
    }

    private static IResult RunFailed(string runId, string why) =>
        Problems.Result(StatusCodes.Status502BadGateway, "Run failed", why, new Dictionary<string, object?> { ["run_id"] = runId });

    /// <summary>The task nothing needs (the loader checked that an endpoint without <c>output</c> has exactly one).</summary>
    private static string OnlySink(PlanDefinition plan)
    {
        var needed = plan.Tasks.SelectMany(t => t.Needs).ToHashSet(StringComparer.Ordinal);
        return plan.Tasks.Single(t => !needed.Contains(t.Id)).Id;
    }
}
