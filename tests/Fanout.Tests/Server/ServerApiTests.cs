using System.Net;
using System.Text.Json;
using Fanout.Cli;
using Fanout.Cli.Commands;
using Fanout.Tests.Plans;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.Tests.Server;

/// <summary><c>fanout serve</c> over real HTTP: the runs API, plans as endpoints, errors as problem+json, tokens.</summary>
public class ServerApiTests
{
    private const string Greeter = """
        name: greeter
        inputs:
          name: { type: string, description: Who to greet }
          count: { type: integer, schema: { minimum: 1 } }
          tags: { type: array, default: [] }
        endpoint:
          route: /greet
          cors: { origins: [https://app.example] }
        tasks:
          - { id: first, merge: { hello: "{{inputs.name}}" } }
          - { id: second, needs: [first], merge: { again: "{{tasks.first.output.hello}}" } }
          - { id: answer, needs: [first, second], merge: { greeting: "{{tasks.first.output.hello}}", n: "{{inputs.count}}" } }
        """;

    /// <summary>A quick task, then one that sleeps far past the endpoint's deadline.</summary>
    private const string Sleeper = """
        name: sleeper
        endpoint: { route: /slow, timeout: 1s }
        tasks:
          - { id: quick, merge: { ok: true } }
          - { id: nap, needs: [quick], argv: [sleep, "30"] }
        """;

    private static Task<TestServer> Start(bool tokens = false, string host = "127.0.0.1", TimeProvider? time = null) =>
        TestServer.StartAsync(new Dictionary<string, string> { ["greeter.yaml"] = Greeter, ["sleeper.yaml"] = Sleeper }, tokens, host, time);

    private static async Task AssertProblem(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = await TestServer.ReadJsonAsync(response);
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        Assert.DoesNotContain("Exception", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Endpoint_answers_with_the_output_task_s_output()
    {
        await using var server = await Start();

        using var response = await server.Client.PostAsync("/greet", TestServer.Json("""{"name":"Ada","count":2}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await TestServer.ReadJsonAsync(response);
        Assert.Equal("Ada", body.GetProperty("greeting").GetString());
        Assert.True(response.Headers.Contains("Fanout-Run-Id"));
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Invalid_body_is_400_listing_every_field_error()
    {
        await using var server = await Start();

        using var response = await server.Client.PostAsync("/greet", TestServer.Json("""{"count":"three","extra":1}"""));

        await AssertProblem(response, HttpStatusCode.BadRequest);
        var errors = (await TestServer.ReadJsonAsync(response)).GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal(["count", "extra", "name"], errors.Select(e => e.GetProperty("field").GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Body_over_the_limit_is_413_and_another_content_type_is_415()
    {
        await using var server = await Start();

        // A client sending a large body asks first (Expect: 100-continue), so it reads the 413 instead of a reset connection.
        using var tooLarge = new HttpRequestMessage(HttpMethod.Post, "/greet") { Content = TestServer.Json($$"""{"name":"{{new string('x', 2 * 1024 * 1024)}}","count":1}""") };
        tooLarge.Headers.ExpectContinue = true;
        using var large = await server.Client.SendAsync(tooLarge);
        using var text = await server.Client.PostAsync("/greet", new StringContent("name=Ada"));

        await AssertProblem(large, HttpStatusCode.RequestEntityTooLarge);
        await AssertProblem(text, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Endpoint_past_its_deadline_is_504_with_the_run_id_and_what_finished()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var server = await Start(time: clock);
        var started = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Registry.Started += run => started.TrySetResult(run.Id);

        var answer = server.Client.PostAsync("/slow", TestServer.Json("{}"));
        var runId = await started.Task;
        // The deadline passes only when the clock is moved: once 'quick' has succeeded and 'nap' is running.
        await server.FollowEventsAsync(runId, e => e.Event == "task_state" && e.Data.GetProperty("task_id").GetString() == "nap"
                                                   && e.Data.GetProperty("state").GetString() == "running");
        clock.Advance(TimeSpan.FromSeconds(1));
        using var response = await answer;

        await AssertProblem(response, HttpStatusCode.GatewayTimeout);
        var body = await TestServer.ReadJsonAsync(response);
        Assert.Equal(runId, body.GetProperty("run_id").GetString());
        Assert.Equal(["quick"], body.GetProperty("succeeded").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["nap"], body.GetProperty("running").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(HttpStatusCode.Accepted, (await server.Client.PostAsync($"/runs/{runId}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task Cors_preflight_allows_the_endpoint_s_origin_and_refuses_others()
    {
        await using var server = await Start();

        async Task<HttpResponseMessage> Preflight(string origin)
        {
            using var request = new HttpRequestMessage(HttpMethod.Options, "/greet");
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "POST");
            request.Headers.Add("Access-Control-Request-Headers", "content-type");
            return await server.Client.SendAsync(request);
        }

        using var allowed = await Preflight("https://app.example");
        using var refused = await Preflight("https://evil.example");

        Assert.Equal("https://app.example", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.False(allowed.Headers.Contains("Access-Control-Allow-Credentials"));
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Submitted_run_is_202_with_Location_and_an_Idempotency_Key_repeat_is_the_same_run()
    {
        await using var server = await Start();

        async Task<HttpResponseMessage> Submit()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/runs") { Content = TestServer.Json("""{"plan":"greeter","inputs":{"name":"Ada","count":1}}""") };
            request.Headers.Add("Idempotency-Key", "k1");
            return await server.Client.SendAsync(request);
        }

        using var first = await Submit();
        using var second = await Submit();

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        var runId = (await TestServer.ReadJsonAsync(first)).GetProperty("run_id").GetString()!;
        await server.ReadEventsAsync(runId); // to the end of the run
        var run = await TestServer.ReadJsonAsync(await server.Client.GetAsync(first.Headers.Location));
        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        Assert.Equal(3, run.GetProperty("tasks").GetArrayLength());
        var list = await TestServer.ReadJsonAsync(await server.Client.GetAsync("/runs?status=succeeded&limit=10"));
        Assert.Equal(1, list.GetProperty("total").GetInt32());
        var report = await server.Client.GetAsync($"/runs/{runId}/report");
        Assert.Equal("text/html", report.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Cancel_stops_a_running_run_and_its_report_says_cancelled()
    {
        await using var server = await Start();
        using var submitted = await server.Client.PostAsync("/runs", TestServer.Json("""{"plan":"sleeper"}"""));
        var runId = (await TestServer.ReadJsonAsync(submitted)).GetProperty("run_id").GetString()!;

        using var cancel = await server.Client.PostAsync($"/runs/{runId}/cancel", null);
        var events = await server.ReadEventsAsync(runId);

        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        Assert.Equal("run_finished", events[^1].Event);
        Assert.Equal("cancelled", events[^1].Data.GetProperty("status").GetString());
        await AssertProblem(await server.Client.PostAsync($"/runs/{runId}/cancel", null), HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Events_resumed_with_Last_Event_ID_continue_after_it_losing_nothing()
    {
        await using var server = await Start();
        using var submitted = await server.Client.PostAsync("/runs", TestServer.Json("""{"plan":"greeter","inputs":{"name":"Ada","count":1}}"""));
        var runId = (await TestServer.ReadJsonAsync(submitted)).GetProperty("run_id").GetString()!;

        var all = await server.ReadEventsAsync(runId);
        var half = all[all.Count / 2].Id;
        var resumed = await server.ReadEventsAsync(runId, lastEventId: half);

        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(e => e.Id));
        Assert.Equal(all.Where(e => e.Id > half).Select(e => (e.Id, e.Event)), resumed.Select(e => (e.Id, e.Event)));
        Assert.Equal("run_started", all[0].Event);
        Assert.Contains(all, e => e.Event == "task_state" && e.Data.GetProperty("task_id").GetString() == "answer");
    }

    [Fact]
    public async Task Off_loopback_a_request_without_a_token_is_401_and_a_token_sees_only_its_runs()
    {
        await using var server = await Start(tokens: true, host: "0.0.0.0");
        using var anonymous = new HttpClient { BaseAddress = server.Client.BaseAddress };
        using var alice = new HttpClient { BaseAddress = server.Client.BaseAddress };
        alice.DefaultRequestHeaders.Authorization = new("Bearer", TestServer.AliceToken);
        using var wrong = new HttpClient { BaseAddress = server.Client.BaseAddress };
        wrong.DefaultRequestHeaders.Authorization = new("Bearer", TestServer.AliceToken + "x");

        using var submitted = await server.Client.PostAsync("/runs", TestServer.Json("""{"plan":"greeter","inputs":{"name":"Ada","count":1}}"""));
        var runId = (await TestServer.ReadJsonAsync(submitted)).GetProperty("run_id").GetString()!;

        await AssertProblem(await anonymous.GetAsync("/runs"), HttpStatusCode.Unauthorized);
        await AssertProblem(await wrong.GetAsync("/runs"), HttpStatusCode.Unauthorized);
        await AssertProblem(await alice.GetAsync($"/runs/{runId}"), HttpStatusCode.NotFound);
        Assert.Equal(0, (await TestServer.ReadJsonAsync(await alice.GetAsync("/runs"))).GetProperty("total").GetInt32());
        await AssertProblem(await alice.PostAsync("/runs", TestServer.Json("""{"plan_text":"name: x\ntasks: [{id: a, merge: 1}]"}""")), HttpStatusCode.Forbidden);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Listening_beyond_loopback_without_tokens_refuses_to_start()
    {
        var error = new StringWriter();
        var env = new CliEnvironment { Out = new StringWriter(), Error = error, GetEnvironmentVariable = _ => null };

        var served = await ServeCommand.BuildAsync(env, new ServeCommand.Settings(0, "0.0.0.0", null, "memory", NoCache: true, RequestsPerMinute: 10));

        Assert.Null(served);
        Assert.Contains("refusing to listen on 0.0.0.0 without tokens", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plans_health_and_the_OpenAPI_document_are_served()
    {
        await using var server = await Start();

        var plans = await TestServer.ReadJsonAsync(await server.Client.GetAsync("/plans"));
        var openapi = await TestServer.ReadJsonAsync(await server.Client.GetAsync("/openapi/v1.json"));

        Assert.Equal(["greeter", "sleeper"], plans.EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.True(openapi.GetProperty("paths").TryGetProperty("/runs/{id}/events", out _));
        Assert.True(openapi.GetProperty("paths").TryGetProperty("/greet", out _));
        Assert.Equal(HttpStatusCode.OK, (await server.Client.GetAsync("/readyz")).StatusCode);
        await AssertProblem(await server.Client.GetAsync("/nowhere"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Seo_endpoint_answers_with_exactly_the_V1_fields_plus_v2_metadata()
    {
        var plan = await File.ReadAllTextAsync(Path.Combine(Fixtures.RepoRoot, "examples", "seo-optimizer", "plan.yaml"));
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["seo.yaml"] = plan });

        using var response = await server.Client.PostAsync("/seo", TestServer.Json("{}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await TestServer.ReadJsonAsync(response);
        Assert.Equal(["head", "blocks", "links", "alts", "schema", "confidence", "notes", "v2_metadata"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(5, body.GetProperty("v2_metadata").GetProperty("successful_prompts").GetInt32());
        Assert.True(body.GetProperty("v2_metadata").GetProperty("total_tokens").GetInt64() > 0);
    }

    [Fact]
    public async Task Seo_endpoint_with_a_failing_prompt_still_answers_200_with_its_note()
    {
        var plan = (await File.ReadAllTextAsync(Path.Combine(Fixtures.RepoRoot, "examples", "seo-optimizer", "plan.yaml")))
            .Replace("  - id: images\n", "  - id: images\n    provider: broken\n", StringComparison.Ordinal)
            .Replace("providers:\n", "providers:\n  broken: { type: simulated, failure_rate: 1, failures: bad_request }\n", StringComparison.Ordinal);
        await using var server = await TestServer.StartAsync(new Dictionary<string, string> { ["seo.yaml"] = plan });

        using var response = await server.Client.PostAsync("/seo", TestServer.Json("{}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await TestServer.ReadJsonAsync(response);
        Assert.Contains(body.GetProperty("notes").EnumerateArray(), n => n.GetString()!.StartsWith("images prompt failed:", StringComparison.Ordinal));
        Assert.Equal(4, body.GetProperty("v2_metadata").GetProperty("successful_prompts").GetInt32());
        Assert.Equal(0, body.GetProperty("alts").GetArrayLength());
    }
}
