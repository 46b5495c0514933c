using System.CommandLine;
using Fanout.Cli.Output;
using Fanout.Providers;
using Fanout.Providers.Workers;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout run PLAN</c>: runs a plan, shows progress, writes run.json and report.html, prints a summary.</summary>
internal static class RunCommand
{
    /// <summary>What <c>run</c> was asked to do.</summary>
    public sealed record Settings(string Plan, string[] Inputs, int? Concurrency, string? Out, bool Json, bool FailFast, int? Seed, bool Plain, decimal? BudgetUsd = null, bool Detach = false, bool NoWork = false);

    public static Command Create(CliEnvironment env)
    {
        var plan = CommonOptions.Plan();
        var inputs = CommonOptions.Inputs();
        var concurrency = CommonOptions.Concurrency();
        var output = new Option<string?>("--out", "-o") { Description = "Directory for run.json, report.html and task outputs (default: .fanout/runs/<run-id>/)", HelpName = "DIR" };
        var json = CommonOptions.Json("Print run.json to stdout; progress and summary go to stderr");
        var failFast = new Option<bool>("--fail-fast") { Description = "Cancel the rest of the run at the first failure (overrides the plan's on_failure)" };
        var seed = new Option<int?>("--seed") { Description = "Seed for retry jitter, to make backoff delays reproducible", HelpName = "N" };
        var plain = new Option<bool>("--plain") { Description = "One line per event instead of the live view (the default when output is not a terminal)" };
        var budget = new Option<decimal?>("--budget-usd") { Description = "Stop starting tasks once the run has cost this many US dollars (overrides the plan's budget_usd)", HelpName = "USD" };
        budget.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<decimal?>() is < 0)
            {
                result.AddError("--budget-usd must be 0 or more");
            }
        });
        var detach = DistributedRun.DetachOption();
        var noWork = DistributedRun.NoWorkOption();
        var command = new Command("run", "Run a plan: every task starts as soon as its dependencies finish. Exit 0 all succeeded, 1 a task failed or the budget ran out, 2 invalid plan or input, 130 cancelled")
        {
            plan, inputs, concurrency, output, json, failFast, seed, plain, budget, detach, noWork,
        };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(env, new Settings(
            parse.GetRequiredValue(plan), parse.GetValue(inputs) ?? [], parse.GetValue(concurrency), parse.GetValue(output),
            parse.GetValue(json), parse.GetValue(failFast), parse.GetValue(seed), parse.GetValue(plain), parse.GetValue(budget), parse.GetValue(detach), parse.GetValue(noWork)), cancellationToken));
        return command;
    }

    public static async Task<int> ExecuteAsync(CliEnvironment env, Settings settings, CancellationToken cancellationToken)
    {
        if (DistributedRun.Target(env, null) is { } distributed)
        {
            return await DistributedRun.ExecuteAsync(env, settings, distributed, settings.Detach, settings.NoWork, cancellationToken);
        }

        var human = HumanOutput.For(env, toError: settings.Json);
        if (PlanStep.Load(env, settings.Plan) is not { } graph
            || PlanStep.ResolveInputs(env, graph.Plan, settings.Inputs) is not { } inputs)
        {
            return ExitCodes.Invalid;
        }

        using var providers = PlanStep.CreateProviders(env, graph.Plan, new ProviderOptions { Time = env.Time });
        if (providers is null)
        {
            return ExitCodes.Invalid;
        }

        var workers = WorkerSetup.Create(graph.Plan, new ProviderOptions { Time = env.Time, GetEnvironmentVariable = env.GetEnvironmentVariable });

        // Before anything runs, so nobody mistakes simulated answers for real ones.
        foreach (var notice in providers.Notices.Concat(workers.Notices))
        {
            human.Notice(notice);
        }

        var runId = RunOptions.NewRunId(env.Time);
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

        var progress = new RunProgress();
        var live = human.IsTerminal && !settings.Plain;
        var log = live ? null : new PlainLog(human.Writer);
        var options = new RunOptions
        {
            RunId = runId,
            Inputs = inputs,
            Concurrency = settings.Concurrency,
            OnFailure = settings.FailFast ? FailurePolicy.FailFast : null,
            Seed = settings.Seed,
            Time = env.Time,
            BudgetUsd = settings.BudgetUsd,
            Executors = PlanStep.Executors(providers, workers),
            OutputDirectory = directory,
            OnEvent = e =>
            {
                progress.Observe(e);
                log?.Observe(e);
                env.OnEvent?.Invoke(e);
            },
        };
        var scheduler = new Scheduler(graph, options);
        Func<Task<RunReport>> run = () => scheduler.RunAsync(cancellationToken);
        var report = log is null
            ? await new LiveView(human.Console, progress, env.Time).WhileRunning(run)
            : await log.WhileRunning(run);

        return await RunResults.WriteAsync(env, human, report, directory, settings.Json);
    }
}
