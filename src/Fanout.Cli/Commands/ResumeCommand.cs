using System.CommandLine;
using Fanout.Cli.Output;
using Fanout.Cli.Storage;
using Fanout.Storage;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout resume RUN_ID</c>: continues an interrupted run from its journal, with the plan file it was
/// started from (edited tasks and their dependents run again; everything else that succeeded is kept).</summary>
internal static class ResumeCommand
{
    public static Command Create(CliEnvironment env)
    {
        var runId = new Argument<string>("RUN_ID") { Description = "The run to continue (see fanout runs)" };
        var store = StoreOptions.Store();
        var noCache = StoreOptions.NoCache();
        var output = new Option<string?>("--out", "-o") { Description = "Directory for run.json and report.html (default: .fanout/runs/<run-id>/)", HelpName = "DIR" };
        var json = CommonOptions.Json("Print run.json to stdout; progress and summary go to stderr");
        var plain = new Option<bool>("--plain") { Description = "One line per event instead of the live view" };
        var wait = OwnerStep.WaitOption();
        var command = new Command("resume", "Continue an interrupted run: succeeded tasks are not run again, tasks that were running run again (their lost attempts are recorded), and the report covers the whole run. A run that already succeeded is left as it is. Exit 2 if another process is driving it")
        {
            runId, store, noCache, output, json, plain, wait,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var id = parse.GetRequiredValue(runId);
            RunRecord? run;
            await using (var opened = StoreFactory.TryOpen(parse.GetValue(store), env))
            {
                if (opened is null)
                {
                    return ExitCodes.Invalid;
                }

                run = await opened.GetRunAsync(id, cancellationToken);
            }

            if (run is null)
            {
                await env.Error.WriteLineAsync($"error: no run '{id}' in the store (see fanout runs)");
                return ExitCodes.Invalid;
            }

            // Before the plan is read: a finished run needs neither its plan file nor anything else.
            if (AlreadyFinished(env, run, null, parse.GetValue(json)) is { } finished)
            {
                return finished;
            }

            if (run.PlanPath is null)
            {
                await env.Error.WriteLineAsync($"error: run '{id}' was not started from a plan file, so it cannot be resumed from the command line");
                return ExitCodes.Invalid;
            }

            return await RunCommand.ExecuteAsync(env, new RunCommand.Settings(run.PlanPath, [], null, parse.GetValue(output), parse.GetValue(json), false, null, parse.GetValue(plain))
            {
                Store = parse.GetValue(store),
                NoCache = parse.GetValue(noCache),
                Resume = id,
                Wait = parse.GetValue(wait),
            }, cancellationToken);
        });
        return command;
    }

    /// <summary>The run to resume: <paramref name="runId"/>, or the latest run of <paramref name="plan"/> when it is
    /// empty; null (after saying why) when there is none or it belongs to another plan. Null without a message when
    /// <paramref name="runId"/> is null (a new run).</summary>
    public static async Task<RunRecord?> FindAsync(CliEnvironment env, IRunStore store, string plan, string? runId, CancellationToken cancellationToken)
    {
        if (runId is null)
        {
            return null;
        }

        if (runId.Length == 0)
        {
            var latest = await store.ListRunsAsync(new RunQuery { Plan = plan, Limit = 1 }, cancellationToken);
            if (latest.Count == 0)
            {
                await env.Error.WriteLineAsync($"error: no earlier run of plan '{plan}' to resume");
                return null;
            }

            runId = latest[0].RunId;
        }

        var run = await store.GetRunAsync(runId, cancellationToken);
        if (run is null)
        {
            await env.Error.WriteLineAsync($"error: no run '{runId}' in the store (see fanout runs)");
            return null;
        }

        if (run.Plan != plan)
        {
            await env.Error.WriteLineAsync($"error: run '{runId}' is of plan '{run.Plan}', not '{plan}'");
            return null;
        }

        return run;
    }

    /// <summary>
    /// Whether <paramref name="run"/> has nothing left to resume: it succeeded, or its budget ran out and no budget
    /// above what it spent is given (<paramref name="budgetUsd"/>, from <c>run --resume --budget-usd</c>). Then its
    /// status is printed, nothing is written (journal, run.json and report stay as they are), and the exit code of its
    /// outcome is returned. Null when there is something to resume: a run that was interrupted, cancelled or failed
    /// (its failed, skipped and cancelled tasks run again).
    /// </summary>
    public static int? AlreadyFinished(CliEnvironment env, RunRecord run, decimal? budgetUsd, bool json)
    {
        var status = RunStatuses.Parse(run.Status);
        var spent = run.CostUsd ?? 0;
        var finished = status == RunStatus.Succeeded || status == RunStatus.BudgetExhausted && !(budgetUsd > spent);
        if (!finished)
        {
            return null;
        }

        var hint = status == RunStatus.BudgetExhausted
            ? $" (it spent {Format.Cost(spent)}; to go on, give it more: fanout run PLAN --resume {run.RunId} --budget-usd N)"
            : "";
        HumanOutput.For(env, toError: json).Writer.WriteLine($"run {run.RunId} already finished: {run.Status}{hint}; nothing to resume");
        return ExitCodes.For(status!.Value);
    }
}
