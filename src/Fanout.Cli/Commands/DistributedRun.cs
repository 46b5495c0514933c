using System.CommandLine;
using System.Text.Json;
using Fanout.Cli.Output;
using Fanout.Cli.Storage;
using Fanout.Providers;
using Fanout.Storage.Postgres;
using Fanout.Storage.Postgres.Distributed;
using Npgsql;

namespace Fanout.Cli.Commands;

/// <summary>
/// <c>fanout run PLAN --store postgres://…</c>: submits the run to PostgreSQL for workers on any machine, and unless
/// <c>--detach</c> or <c>--no-work</c> works on it here too; waits for it and leaves the same files and summary as a
/// local run, built from the journal.
/// </summary>
internal static class DistributedRun
{
    /// <summary>The environment variable naming the store when <c>--store</c> is not given.</summary>
    public const string StoreVariable = StoreFactory.EnvironmentVariable;

    /// <summary>Lets every command that opens a store (<c>runs</c>, <c>show</c>, <c>resume</c>…) open a PostgreSQL one.</summary>
    public static void RegisterStore() => StoreFactory.Register(PostgresTarget.IsPostgres, store =>
    {
        try
        {
            return PostgresRunStore.OpenAsync(store).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is FormatException or NpgsqlException or TimeoutException)
        {
            throw new InvalidOperationException(e.Message, e);
        }
    });

    public static Option<bool> DetachOption() => new("--detach") { Description = "With a PostgreSQL store: submit the run, print its id and exit; workers run it" };

    public static Option<bool> NoWorkOption() => new("--no-work") { Description = "With a PostgreSQL store: submit and wait for the run without working on it here" };

    /// <summary>The PostgreSQL store the run goes to, or null for a local run.</summary>
    public static string? Target(CliEnvironment env, string? store) =>
        (store ?? env.GetEnvironmentVariable(StoreVariable)) is { } target && PostgresTarget.IsPostgres(target) ? target : null;

    /// <summary>Opens the store, or prints why it cannot and returns null.</summary>
    public static async Task<PostgresDatabase?> OpenAsync(CliEnvironment env, string target, CancellationToken cancellationToken)
    {
        try
        {
            return await PostgresDatabase.OpenAsync(target, cancellationToken);
        }
        catch (Exception e) when (e is FormatException or NpgsqlException or ArgumentException or TimeoutException)
        {
            // Npgsql's messages name host and port, never the password.
            await env.Error.WriteLineAsync($"error: cannot open the PostgreSQL store: {e.Message}");
            return null;
        }
    }

    public static async Task<int> ExecuteAsync(CliEnvironment env, RunCommand.Settings settings, string target, CancellationToken cancellationToken)
    {
        var (detach, noWork) = (settings.Detach, settings.NoWork);
        if (settings.Resume is not null)
        {
            await env.Error.WriteLineAsync("error: --resume is for local runs; a PostgreSQL run goes on by itself while any worker works on it (fanout worker)");
            return ExitCodes.Invalid;
        }

        var human = HumanOutput.For(env, toError: settings.Json);
        if (PlanStep.Read(env, settings.Plan) is not { Graph: var graph } planFile
            || PlanStep.ResolveInputs(env, graph.Plan, settings.Inputs) is not { } inputs)
        {
            return ExitCodes.Invalid;
        }

        // The workers' settler has no rollback phase: it would run a compensation as soon as its task succeeded.
        if (graph.Plan.OnFailure == FailurePolicy.Rollback || graph.Plan.Tasks.Any(t => t.Compensate is not null))
        {
            await env.Error.WriteLineAsync("error: on_failure: rollback and compensate: run locally only (not with a PostgreSQL store)");
            return ExitCodes.Invalid;
        }

        // Checked before submitting: a plan whose providers cannot be built here is better refused now.
        Redactor redactor;
        using (var providers = PlanStep.CreateProviders(env, graph.Plan, new ProviderOptions { Time = env.Time }))
        {
            if (providers is null)
            {
                return ExitCodes.Invalid;
            }

            redactor = PlanStep.Redactor(env, providers);
        }

        if ((settings.BudgetUsd ?? graph.Plan.BudgetUsd) is not null)
        {
            human.Notice("budget_usd is not enforced for runs shared through PostgreSQL (see docs/durability.md)");
        }

        await using var database = await OpenAsync(env, target, cancellationToken);
        if (database is null)
        {
            return ExitCodes.Invalid;
        }

        var runId = RunOptions.NewRunId(env.Time);
        var planPath = env.LoaderPath(settings.Plan);
        await DistributedRuns.SubmitAsync(database, new Submission
        {
            RunId = runId,
            Graph = graph,
            PlanText = redactor.Redact(planFile.Text),
            PlanPath = settings.Plan,
            BaseDirectory = graph.Plan.BaseDirectory,
            Inputs = inputs,
            Concurrency = settings.Concurrency,
            FailFast = settings.FailFast,
            Seed = settings.Seed,
        }, cancellationToken);
        if (detach)
        {
            human.Writer.WriteLine($"submitted run {runId} ({graph.Count} tasks) to {database.Description}");
            human.Writer.WriteLine($"work on it:   fanout worker --store <store> --exit-when-idle");
            human.Writer.WriteLine($"see it:       fanout show {runId} --store <store>");
            if (settings.Json)
            {
                env.Out.WriteLine(JsonSerializer.Serialize(new { run_id = runId }));
            }

            return ExitCodes.Success;
        }

        var directory = settings.Out is { } o ? env.FullPath(o) : Path.Combine(env.CurrentDirectory, ".fanout", "runs", runId);
        human.Writer.WriteLine($"run {runId}: {graph.Count} tasks submitted to {database.Description}{(noWork ? "; waiting for workers" : "")}");
        using var stopWorking = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var working = noWork ? Task.CompletedTask : new DistributedWorker(database, WorkerCommand.Options(env,
            settings.Concurrency ?? graph.Plan.Concurrency ?? RunOptions.DefaultConcurrency, TimeSpan.FromSeconds(30), exitWhenIdle: true, runId,
            _ => directory)).RunAsync(stopWorking.Token);
        try
        {
            await DistributedRuns.WaitAsync(database, runId, TimeSpan.FromSeconds(1), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run stays in the store: other workers (or `fanout worker` later) finish it.
            await working;
            await env.Error.WriteLineAsync($"stopped waiting; run {runId} goes on with other workers");
            return ExitCodes.Cancelled;
        }

        await working;
        var report = await DistributedRuns.ReportAsync(database, runId, CancellationToken.None);
        return await RunResults.WriteAsync(env, human, report!, directory, settings.Json);
    }
}
