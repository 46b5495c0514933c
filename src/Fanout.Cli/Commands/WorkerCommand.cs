using System.CommandLine;
using Fanout.Providers;
using Fanout.Providers.Workers;
using Fanout.Storage.Postgres;
using Fanout.Storage.Postgres.Distributed;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout worker --store postgres://…</c>: works on the runs submitted to a PostgreSQL store, alongside any
/// number of other workers on any machines.</summary>
internal static class WorkerCommand
{
    /// <summary>What <c>worker</c> was asked to do.</summary>
    public sealed record Settings(string? Store, int? Concurrency, TimeSpan Lease, bool ExitWhenIdle, string? Out, string? RunId);

    public static Command Create(CliEnvironment env)
    {
        var store = StoreOptions.Store();
        var concurrency = CommonOptions.Concurrency();
        concurrency.Description = "Most attempts this worker runs at once (default 16); the run's own concurrency holds across all workers";
        var lease = new Option<string>("--lease") { Description = "How long a claimed task stays this worker's without a heartbeat (heartbeats renew it every third of it)", HelpName = "DURATION", DefaultValueFactory = _ => "30s" };
        lease.Validators.Add(result =>
        {
            if (!Durations.TryParse(result.GetValueOrDefault<string>(), out var value) || value < TimeSpan.FromSeconds(1) || value > Fanout.Plans.PlanLimits.MaxDuration)
            {
                result.AddError("--lease must be a duration from 1s to 168h, such as 30s or 2m");
            }
        });
        var exitWhenIdle = new Option<bool>("--exit-when-idle") { Description = "Exit once no submitted run is left unfinished" };
        var output = new Option<string?>("--out", "-o") { Description = "Directory for task outputs, one subdirectory per run (default: .fanout/runs/)", HelpName = "DIR" };
        var run = new Option<string?>("--run") { Description = "Work on this run only", HelpName = "RUN_ID" };
        var command = new Command("worker", "Claim and run tasks of the runs submitted to a PostgreSQL store (fanout run PLAN --store postgres://… --detach), with any number of other workers. Exit 0 when idle (--exit-when-idle), 2 bad store, 130 stopped")
        {
            store, concurrency, lease, exitWhenIdle, output, run,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            Durations.TryParse(parse.GetValue(lease), out var leaseValue);
            return ExecuteAsync(env, new Settings(parse.GetValue(store), parse.GetValue(concurrency), leaseValue,
                parse.GetValue(exitWhenIdle), parse.GetValue(output), parse.GetValue(run)), cancellationToken);
        });
        return command;
    }

    public static async Task<int> ExecuteAsync(CliEnvironment env, Settings settings, CancellationToken cancellationToken)
    {
        var target = settings.Store ?? env.GetEnvironmentVariable(DistributedRun.StoreVariable);
        if (!PostgresTarget.IsPostgres(target))
        {
            await env.Error.WriteLineAsync($"error: a worker needs a PostgreSQL store: --store postgres://user@host:port/db (or {DistributedRun.StoreVariable})");
            return ExitCodes.Invalid;
        }

        await using var database = await DistributedRun.OpenAsync(env, target!, cancellationToken);
        if (database is null)
        {
            return ExitCodes.Invalid;
        }

        var worker = new DistributedWorker(database, Options(env, settings.Concurrency ?? 16, settings.Lease, settings.ExitWhenIdle, settings.RunId,
            run => Path.Combine(settings.Out is { } o ? env.FullPath(o) : Path.Combine(env.CurrentDirectory, ".fanout", "runs"), run)));
        await env.Error.WriteLineAsync($"worker: working on {database.Description} (concurrency {settings.Concurrency ?? 16}, lease {Durations.Format(settings.Lease)})");
        await worker.RunAsync(cancellationToken);
        await env.Error.WriteLineAsync($"worker: {worker.Completed} attempts completed");
        return cancellationToken.IsCancellationRequested ? ExitCodes.Cancelled : ExitCodes.Success;
    }

    /// <summary>A worker that runs tasks with the same executors and providers as <c>fanout run</c>.</summary>
    public static WorkerOptions Options(CliEnvironment env, int concurrency, TimeSpan lease, bool exitWhenIdle, string? runId, Func<string, string> outputDirectory) => new()
    {
        Concurrency = concurrency,
        Lease = lease,
        ExitWhenIdle = exitWhenIdle,
        RunId = runId,
        OutputDirectory = outputDirectory,
        Log = line => env.Error.WriteLine($"worker: {line}"),
        Services = graph =>
        {
            var providers = PlanStep.CreateProviders(env, graph.Plan, new ProviderOptions { Time = env.Time })
                ?? throw new InvalidOperationException("the plan's providers are not usable here (see above)");
            var workers = WorkerSetup.Create(graph.Plan, new ProviderOptions { Time = env.Time, GetEnvironmentVariable = env.GetEnvironmentVariable, Variables = env.Variables });
            foreach (var notice in providers.Notices.Concat(workers.Notices))
            {
                env.Error.WriteLine($"notice: {notice}");
            }

            return new RunServices(PlanStep.Executors(env, providers, workers, PlanStep.Redactor(env, providers)), providers);
        },
    };
}
