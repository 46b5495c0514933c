using System.CommandLine;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fanout.Cli.Storage;
using Fanout.Plans;
using Fanout.Providers;
using Fanout.Providers.Pools;
using Fanout.Providers.Workers;
using Fanout.Server;
using Fanout.Storage;
using Microsoft.AspNetCore.Builder;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout serve [--port 5080] [--host 127.0.0.1] [--plans DIR] [--store …]</c>: the runs API, plans as
/// endpoints and the dashboard, with every run built the way <c>fanout run</c> builds it.</summary>
internal static partial class ServeCommand
{
    /// <summary>Tokens: <c>name:token[:admin],…</c>.</summary>
    public const string TokensVariable = "FANOUT_SERVER_TOKENS";

    /// <summary>What <c>serve</c> was asked to do.</summary>
    public sealed record Settings(int Port, string Host, string? Plans, string? Store, bool NoCache, int RequestsPerMinute);

    public static Command Create(CliEnvironment env)
    {
        var port = new Option<int>("--port", "-p") { Description = "Port (0: any free port)", DefaultValueFactory = _ => 5080, HelpName = "PORT" }.Between(IPEndPoint.MinPort, IPEndPoint.MaxPort);
        var host = new Option<string>("--host") { Description = $"Address to listen on; anything but loopback requires tokens in {TokensVariable}", DefaultValueFactory = _ => "127.0.0.1", HelpName = "ADDRESS" };
        var plans = new Option<string?>("--plans") { Description = "Serve every plan file under this directory by its name (those with 'endpoint:' at their route)", HelpName = "DIR" };
        var rate = new Option<int>("--rate-limit") { Description = "Requests per minute per token (or address) before 429", DefaultValueFactory = _ => 600, HelpName = "N" }.Between(1, 1_000_000);
        var store = StoreOptions.Store();
        var noCache = StoreOptions.NoCache();
        var command = new Command("serve", $"Serve plans over HTTP: POST /runs, GET /runs/{{id}}/events (SSE), plans' endpoints, a dashboard at /, OpenAPI at /openapi/v1.json. Tokens: {TokensVariable}=name:token[:admin],…") { port, host, plans, store, noCache, rate };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(env, new Settings(parse.GetValue(port), parse.GetValue(host)!, parse.GetValue(plans),
            parse.GetValue(store), parse.GetValue(noCache), parse.GetValue(rate)), cancellationToken));
        return command;
    }

    public static async Task<int> ExecuteAsync(CliEnvironment env, Settings settings, CancellationToken cancellationToken)
    {
        await using var server = await BuildAsync(env, settings);
        if (server is null)
        {
            return ExitCodes.Invalid;
        }

        await server.App.StartAsync(CancellationToken.None);
        var endpoints = server.Options.Plans.Where(p => p.Graph.Plan.Endpoint is not null).Select(p => $"{p.Graph.Plan.Endpoint!.Method} {p.Graph.Plan.Endpoint.Route}");
        await env.Error.WriteLineAsync($"fanout serve: listening on {string.Join(", ", FanoutServer.Urls(server.App))} — {server.Options.Plans.Count} plan(s): " +
                                       $"{string.Join(", ", server.Options.Plans.Select(p => p.Name))}; endpoints: {string.Join(", ", endpoints.DefaultIfEmpty("none"))}");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C or SIGTERM: stop serving.
        }

        return ExitCodes.Success;
    }

    /// <summary>The configured server (not started) and what it holds open, or null after printing what is wrong.</summary>
    public static async Task<Served?> BuildAsync(CliEnvironment env, Settings settings)
    {
        if (!IPAddress.TryParse(settings.Host, out var address))
        {
            await env.Error.WriteLineAsync($"error: --host must be an IP address, got '{settings.Host}'");
            return null;
        }

        if (ReadTokens(env) is not { } tokens)
        {
            return null;
        }

        var plans = settings.Plans is { } dir ? LoadPlans(env, dir) : [];
        if (plans is null)
        {
            return null;
        }

        var store = StoreFactory.TryOpen(settings.Store, env);
        if (store is null)
        {
            return null;
        }

        // The server's tokens are the server's: no run's process may inherit them.
        var runs = env with { Variables = env.Variables.Where(v => v.Key != TokensVariable).ToDictionary(StringComparer.Ordinal) };
        var options = new FanoutServerOptions
        {
            Address = address,
            Port = settings.Port,
            Plans = plans,
            Tokens = tokens,
            RequestsPerMinute = settings.RequestsPerMinute,
            Time = env.Time,
            BaseDirectory = env.CurrentDirectory,
            Prepare = (plan, inputs, runId, ct) => PrepareAsync(runs, store, settings.NoCache, plan, inputs, runId, ct),
        };
        try
        {
            return new Served(FanoutServer.Build(options), options, store);
        }
        catch (InvalidOperationException e)
        {
            await env.Error.WriteLineAsync($"error: {e.Message}");
            await store.DisposeAsync();
            return null;
        }
    }

    /// <summary>A built server and the store it journals to, released together.</summary>
    public sealed record Served(WebApplication App, FanoutServerOptions Options, IRunStore Store) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.DisposeAsync();
            await Store.DisposeAsync();
        }
    }

    /// <summary>A run built as <c>fanout run</c> builds one: the plan's providers, the same executors and redactor, the
    /// result cache, the run's lease in the store, its files under .fanout/runs/ID.</summary>
    private static async Task<PreparedRun> PrepareAsync(
        CliEnvironment env, IRunStore store, bool noCache, ServerPlan plan, JsonElement inputs, string runId, CancellationToken cancellationToken)
    {
        var providers = ProviderSetup.Create(plan.Graph.Plan, new ProviderOptions { Time = env.Time, GetEnvironmentVariable = env.GetEnvironmentVariable });
        try
        {
            var workers = WorkerSetup.Create(plan.Graph.Plan, new ProviderOptions { Time = env.Time, GetEnvironmentVariable = env.GetEnvironmentVariable, Variables = env.Variables });
            var ownership = await OwnerStep.TakeAsync(env, store, runId, wait: false, cancellationToken)
                            ?? throw new InvalidOperationException($"run {runId} is owned elsewhere");
            var directory = Path.Combine(env.CurrentDirectory, ".fanout", "runs", runId);
            Directory.CreateDirectory(directory);
            var redactor = PlanStep.Redactor(env, providers);
            var options = new RunOptions
            {
                RunId = runId,
                Inputs = inputs,
                ProviderLimits = providers.Limits,
                Time = env.Time,
                Executors = PlanStep.Executors(env, providers, workers, redactor),
                Store = store,
                Ownership = ownership,
                PlanPath = plan.Graph.Plan.SourceFile,
                PlanText = redactor.Redact(plan.Text),
                OutputDirectory = directory,
                ProviderFacts = () => PoolReport.Facts(providers.Pools),
            };
            if (!noCache)
            {
                options = options with { Executors = CachingExecutor.Wrap(options.Executors, store) };
            }

            return new PreparedRun(new RunRequest(plan.Graph, options), new Held(providers, ownership));
        }
        catch
        {
            providers.Dispose();
            throw;
        }
    }

    private sealed class Held(ProviderSet providers, RunOwnership ownership) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await ownership.DisposeAsync();
            providers.Dispose();
        }
    }

    /// <summary>Tokens from <see cref="TokensVariable"/>, or null after saying what is wrong (never echoing a token).</summary>
    internal static List<ApiToken>? ReadTokens(CliEnvironment env)
    {
        var tokens = new List<ApiToken>();
        var text = env.GetEnvironmentVariable(TokensVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return tokens;
        }

        var index = 0;
        foreach (var entry in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            index++;
            var parts = entry.Split(':');
            if (parts.Length is < 2 or > 3 || parts[0].Length == 0 || parts[1].Length < 16 || parts.Length == 3 && parts[2] != "admin")
            {
                env.Error.WriteLine($"error: {TokensVariable} entry {index} must be name:token[:admin] with a token of at least 16 characters");
                return null;
            }

            tokens.Add(new ApiToken(parts[0], parts[1], parts.Length == 3));
        }

        return tokens;
    }

    /// <summary>Every plan file under <paramref name="directory"/> (files that declare no tasks, such as providers or
    /// simulator files, and files in hidden directories are not plans), or null after printing every problem.</summary>
    private static List<ServerPlan>? LoadPlans(CliEnvironment env, string directory)
    {
        var root = env.FullPath(directory);
        if (!Directory.Exists(root))
        {
            env.Error.WriteLine($"error: --plans: no directory '{directory}'");
            return null;
        }

        var plans = new List<ServerPlan>();
        var ok = true;
        foreach (var file in Directory.EnumerateFiles(root, "*.*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            // Hidden directories hold runs' own files (.fanout/runs/ID/run.json has tasks too), not plans.
            if (Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar).SkipLast(1).Any(d => d.StartsWith('.'))
                || Path.GetExtension(file) is not (".yaml" or ".yml" or ".json") || !DeclaresTasks().IsMatch(File.ReadAllText(file)))
            {
                continue;
            }

            if (PlanStep.Read(env, file) is { } read)
            {
                plans.Add(new ServerPlan(read.Graph, read.Text));
            }
            else
            {
                ok = false;
            }
        }

        return ok ? plans : null;
    }

    [GeneratedRegex(@"^tasks\s*:|""tasks""\s*:", RegexOptions.Multiline)]
    private static partial Regex DeclaresTasks();
}
