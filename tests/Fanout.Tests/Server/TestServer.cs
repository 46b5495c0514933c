using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Fanout.Cli;
using Fanout.Cli.Commands;
using Fanout.Time;

namespace Fanout.Tests.Server;

/// <summary>A real <c>fanout serve</c> (the CLI's own build of it) on a free loopback port, with plans written to a
/// scratch directory, a memory store, and a clock 20× faster than real time so simulated latencies pass quickly (or the
/// test's own clock).</summary>
internal sealed class TestServer : IAsyncDisposable
{
    public const string AdminToken = "admin-token-0123456789";
    public const string AliceToken = "alice-token-0123456789";

    private readonly ServeCommand.Served _served;
    private readonly string _directory;

    private TestServer(ServeCommand.Served served, string directory, HttpClient client)
    {
        _served = served;
        _directory = directory;
        Client = client;
    }

    public HttpClient Client { get; }

    /// <summary>The server's runs, to learn an endpoint's run id while its request is still waiting.</summary>
    internal Fanout.Server.RunRegistry Registry => (Fanout.Server.RunRegistry)_served.App.Services.GetService(typeof(Fanout.Server.RunRegistry))!;

    public static async Task<TestServer> StartAsync(IReadOnlyDictionary<string, string> plans, bool tokens = false, string host = "127.0.0.1", TimeProvider? time = null)
    {
        var directory = Directory.CreateTempSubdirectory("fanout-serve-").FullName;
        foreach (var (name, text) in plans)
        {
            await File.WriteAllTextAsync(Path.Combine(directory, name), text);
        }

        var variables = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            // Process tasks find their programs on PATH, as they would under a real server.
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
        };
        if (tokens)
        {
            variables[ServeCommand.TokensVariable] = $"root:{AdminToken}:admin,alice:{AliceToken}";
        }

        var env = new CliEnvironment
        {
            Out = new StringWriter(),
            Error = new StringWriter(),
            CurrentDirectory = directory,
            GetEnvironmentVariable = variables.GetValueOrDefault,
            Variables = variables,
            Time = time ?? new ScaledTimeProvider(20),
        };
        var served = await ServeCommand.BuildAsync(env, new ServeCommand.Settings(0, host, directory, "memory", NoCache: true, RequestsPerMinute: 10_000))
                     ?? throw new InvalidOperationException(env.Error.ToString());
        await served.App.StartAsync();
        var port = new Uri(Fanout.Server.FanoutServer.Urls(served.App)[0].Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)).Port;
        var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        if (tokens)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        }

        return new TestServer(served, directory, client);
    }

    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>Every SSE event of a run after <paramref name="lastEventId"/>, read to the end of the stream: (id, event, data).</summary>
    public async Task<List<(long Id, string Event, JsonElement Data)>> ReadEventsAsync(string runId, long? lastEventId = null)
    {
        var events = new List<(long, string, JsonElement)>();
        await foreach (var e in EventsAsync(runId, lastEventId))
        {
            events.Add(e);
        }

        return events;
    }

    /// <summary>Reads a run's SSE events until one matches <paramref name="until"/>; fails if the stream ends first.</summary>
    public async Task FollowEventsAsync(string runId, Func<(long Id, string Event, JsonElement Data), bool> until)
    {
        await foreach (var e in EventsAsync(runId, null))
        {
            if (until(e))
            {
                return;
            }
        }

        Assert.Fail($"run {runId}'s events ended without the one awaited");
    }

    private async IAsyncEnumerable<(long Id, string Event, JsonElement Data)> EventsAsync(string runId, long? lastEventId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/runs/{runId}/events");
        if (lastEventId is { } last)
        {
            request.Headers.Add("Last-Event-ID", last.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(await response.Content.ReadAsStreamAsync()).EnumerateAsync())
        {
            yield return (long.Parse(item.EventId!, System.Globalization.CultureInfo.InvariantCulture), item.EventType, JsonDocument.Parse(item.Data).RootElement.Clone());
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _served.App.StopAsync();
        await _served.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A run's process may still hold a file; the temp directory is cleaned by the system.
        }
    }
}
