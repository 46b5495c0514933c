using System.CommandLine;
using Fanout.Cli.Output;
using Fanout.Cli.Storage;
using Fanout.Providers;
using Fanout.Providers.Pools;
using Fanout.Providers.Workers;
using Fanout.Storage;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout run PLAN</c>: runs a plan, shows progress, writes run.json and report.html, prints a summary.</summary>
internal static class RunCommand
{
    /// <summary>What <c>run</c> was asked to do.</summary>
    public sealed record Settings(string Plan, string[] Inputs, int? Concurrency, string? Out, bool Json, bool FailFast, int? Seed, bool Plain, decimal? BudgetUsd = null)
    {
        /// <summary><c>--store</c>; null takes <c>FANOUT_STORE</c>, else the default SQLite file.</summary>
        public string? Store { get; init; }

        /// <summary><c>--no-cache</c>.</summary>
        public bool NoCache { get; init; }

        /// <summary><c>--resume [ID]</c>: a run id, "" for the plan's latest run, null for a new run.</summary>
        public string? Resume { get; init; }

        /// <summary><c>--wait</c>: when another process drives the run, wait for it instead of exiting 2.</summary>
        public bool Wait { get; init; }

        /// <summary><c>--providers FILE</c>: providers (e.g. a key pool) that replace the plan's.</summary>
        public string? Providers { get; init; }

        /// <summary><c>--detach</c> (PostgreSQL store): submit and exit.</summary>
        public bool Detach { get; init; }

        /// <summary><c>--no-work</c> (PostgreSQL store): submit and wait without working here.</summary>
        public bool NoWork { get; init; }

        /// <summary><c>--sequential</c>: one task at a time (concurrency 1).</summary>
        public bool Sequential { get; init; }

        /// <summary><c>--verify-sequential</c>: run in parallel and sequentially in scratch copies and compare.</summary>
        public bool VerifySequential { get; init; }

        /// <summary><c>--trace FILE</c>: write the footprinted tasks as a JSONL tool trace.</summary>
        public string? Trace { get; init; }

        /// <summary><c>--simulate</c>: agent workers run the simulated stand-in instead of their CLIs.</summary>
        public bool Simulate { get; init; }
    }

    public static Command Create(CliEnvironment env)
    {
        var plan = CommonOptions.Plan();
        var inputs = CommonOptions.Inputs();
        var concurrency = CommonOptions.Concurrency();
        var output = new Option<string?>("--out", "-o") { Description = "Directory for run.json, report.html and task outputs (default: .fanout/runs/<run-id>/)", HelpName = "DIR" };
        var json = CommonOptions.Json("Print run.json to stdout; progress and summary go to stderr");
        var failFast = new Option<bool>("--fail-fast") { Description = "Cancel the rest of the run at the first failure (overrides the plan's on_failure)" };
        var seed = new Option<int?>("--seed") { Description = "Seed for retry jitter, to make backoff delays reproducible", HelpName = "N" }.Between(int.MinValue, int.MaxValue);
        var plain = new Option<bool>("--plain") { Description = "One line per event instead of the live view (the default when output is not a terminal)" };
        var budget = new Option<decimal?>("--budget-usd") { Description = "Stop starting tasks once the run has cost this many US dollars (overrides the plan's budget_usd)", HelpName = "USD" }
            .Between(0, Fanout.Plans.PlanLimits.MaxBudgetUsd);
        var store = StoreOptions.Store();
        var noCache = StoreOptions.NoCache();
        var resume = new Option<string?>("--resume")
        {
            Description = "Continue an interrupted run (the plan's latest if no id): succeeded tasks are not run again",
            HelpName = "RUN_ID",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var providersFile = new Option<string?>("--providers") { Description = "Use the providers of this YAML file (only a providers: section) instead of the plan's, e.g. a key pool", HelpName = "FILE" };
        var sequential = new Option<bool>("--sequential") { Description = "Run one task at a time (concurrency 1): the same results, as the reference a parallel run must equal" };
        var verify = new Option<bool>("--verify-sequential") { Description = "Run the plan in parallel and sequentially, each in a scratch copy of the plan's directory, and compare task outputs and the files written; exit 1 with the differences" };
        var trace = new Option<string?>("--trace") { Description = "Write the tasks that declare reads/writes as a JSONL tool trace (what 'fanout analyze' reads)", HelpName = "FILE" };
        var simulate = new Option<bool>("--simulate") { Description = "Run agent tasks with the simulated stand-in instead of their CLIs (its outputs say they are simulated)" };
        var detach = DistributedRun.DetachOption();
        var noWork = DistributedRun.NoWorkOption();
        var wait = OwnerStep.WaitOption();
        var command = new Command("run", "Run a plan: every task starts as soon as its dependencies finish. Exit 0 all succeeded, 1 a task failed or the budget ran out, 2 invalid plan or input, 130 cancelled")
        {
            plan, inputs, concurrency, output, json, failFast, seed, plain, budget, store, noCache, resume, providersFile, detach, noWork, wait, sequential, verify, trace, simulate,
        };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(env, new Settings(
            parse.GetRequiredValue(plan), parse.GetValue(inputs) ?? [], parse.GetValue(concurrency), parse.GetValue(output),
            parse.GetValue(json), parse.GetValue(failFast), parse.GetValue(seed), parse.GetValue(plain), parse.GetValue(budget))
        {
            Store = parse.GetValue(store),
            NoCache = parse.GetValue(noCache),
            Resume = parse.GetResult(resume) is null ? null : parse.GetValue(resume) ?? "",
            Providers = parse.GetValue(providersFile),
            Detach = parse.GetValue(detach),
            NoWork = parse.GetValue(noWork),
            Wait = parse.GetValue(wait),
            Sequential = parse.GetValue(sequential),
            VerifySequential = parse.GetValue(verify),
            Trace = parse.GetValue(trace),
            Simulate = parse.GetValue(simulate),
        }, cancellationToken));
        return command;
    }

    public static async Task<int> ExecuteAsync(CliEnvironment env, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Sequential && settings.Concurrency is not (null or 1))
        {
            env.Error.WriteLine("error: --sequential runs at concurrency 1; drop --concurrency");
            return ExitCodes.Invalid;
        }

        if (settings.VerifySequential)
        {
            return await VerifySequential.ExecuteAsync(env, settings, cancellationToken);
        }

        if (settings.Sequential)
        {
            settings = settings with { Concurrency = 1 };
        }

        if (DistributedRun.Target(env, settings.Store) is { } distributed)
        {
            return await DistributedRun.ExecuteAsync(env, settings, distributed, cancellationToken);
        }

        var human = HumanOutput.For(env, toError: settings.Json);
        if (PlanStep.Read(env, settings.Plan) is not { Graph: var graph } planFile
            || PlanStep.ResolveInputs(env, graph.Plan, settings.Inputs) is not { } inputs)
        {
            return ExitCodes.Invalid;
        }

        using var providers = PlanStep.WithProviders(env, graph.Plan, settings.Providers) is { } withProviders
            ? PlanStep.CreateProviders(env, withProviders, new ProviderOptions { Time = env.Time })
            : null;
        if (providers is null)
        {
            return ExitCodes.Invalid;
        }

        var workers = WorkerSetup.Create(graph.Plan, new ProviderOptions
        {
            Time = env.Time, GetEnvironmentVariable = env.GetEnvironmentVariable, Variables = env.Variables, SimulateAll = settings.Simulate,
        });

        // Before anything runs, so nobody mistakes simulated answers for real ones.
        foreach (var notice in providers.Notices.Concat(workers.Notices))
        {
            human.Notice(notice);
        }

        await using var store = StoreFactory.TryOpen(settings.Store, env);
        var found = store is null ? null : await ResumeCommand.FindAsync(env, store, graph.Plan.Name, settings.Resume, cancellationToken);
        if (store is null || settings.Resume is not null && found is null)
        {
            return ExitCodes.Invalid;
        }

        if (found is not null && ResumeCommand.AlreadyFinished(env, found, settings.BudgetUsd, settings.Json) is { } finished)
        {
            return finished;
        }

        var runId = found?.RunId ?? RunOptions.NewRunId(env.Time);
        await using var ownership = await OwnerStep.TakeAsync(env, store, runId, settings.Wait, cancellationToken);
        if (ownership is null)
        {
            return ExitCodes.Invalid;
        }

        // Read only now that the run is ours: whoever drove it before (while this process waited, say) is done with it.
        var resume = found is null ? null : await store.LoadAsync(runId, cancellationToken);
        if (resume is not null && ResumeCommand.AlreadyFinished(env, resume.Run, settings.BudgetUsd, settings.Json) is { } finishedMeanwhile)
        {
            return finishedMeanwhile;
        }

        if (resume is not null && settings.Inputs.Length == 0 && resume.Run.InputsJson is { } journaledInputs)
        {
            // A resumed run continues with the inputs it started with unless new ones are given.
            inputs = System.Text.Json.JsonDocument.Parse(journaledInputs).RootElement.Clone();
        }

        providers.UseBatchJournal(store, runId);
        var directory = settings.Out is { } o ? env.FullPath(o) : Path.Combine(env.CurrentDirectory, ".fanout", "runs", runId);
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            env.Error.WriteLine($"error: cannot create the run directory '{directory}': {e.Message}");
            return ExitCodes.Invalid;
        }

        var redactor = PlanStep.Redactor(env, providers);
        var options = new RunOptions
        {
            RunId = runId,
            Inputs = inputs,
            Concurrency = settings.Concurrency,
            ProviderLimits = providers.Limits,
            OnFailure = settings.FailFast ? FailurePolicy.FailFast : null,
            Seed = settings.Seed,
            Time = env.Time,
            BudgetUsd = settings.BudgetUsd,
            Executors = PlanStep.Executors(env, providers, workers, redactor),
            Store = store,
            Ownership = ownership,
            Resume = resume,
            PlanPath = env.FullPath(settings.Plan),
            PlanText = redactor.Redact(planFile.Text),
            OutputDirectory = directory,
            ProviderFacts = () => PoolReport.Facts(providers.Pools),
        };
        if (!settings.NoCache)
        {
            options = options with { Executors = CachingExecutor.Wrap(options.Executors, store) };
        }

        var host = new LocalRunHost();
        var request = new RunRequest(graph, options);
        var handle = resume is null ? await host.StartAsync(request, cancellationToken) : await host.ResumeAsync(request, resume, cancellationToken);
        await using var registration = cancellationToken.Register(handle.Cancel);
        RunReport report;
        try
        {
            report = await RunFollower.FollowAsync(env, human, handle, live: human.IsTerminal && !settings.Plain);
        }
        catch (RunOwnershipLostException lost)
        {
            return OwnerStep.Lost(env, lost);
        }

        if (settings.Trace is { } tracePath)
        {
            await File.WriteAllLinesAsync(env.FullPath(tracePath), Fanout.Tools.RunTrace.Entries(graph, report).Select(e => e.ToJsonLine()), CancellationToken.None);
        }

        return await RunResults.WriteAsync(env, human, report, directory, settings.Json, providers.Pools);
    }
}
