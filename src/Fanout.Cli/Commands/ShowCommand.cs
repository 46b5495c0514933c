using System.CommandLine;
using System.Text.Json;
using Fanout.Cli.Storage;
using Fanout.Storage;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout show RUN</c>: one run from the journal — its row and every instance with its attempts.</summary>
internal static class ShowCommand
{
    public static Command Create(CliEnvironment env)
    {
        var runId = new Argument<string>("RUN") { Description = "The run id (see fanout runs)" };
        var store = StoreOptions.Store();
        var json = CommonOptions.Json("Print the journal as JSON (run, instances, attempts)");
        var command = new Command("show", "Show one journaled run: status, who drives it while it runs, and each task with its state and attempts (lost attempts included)") { runId, store, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var opened = StoreFactory.TryOpen(parse.GetValue(store), env);
            if (opened is null)
            {
                return ExitCodes.Invalid;
            }

            var id = parse.GetRequiredValue(runId);
            if (await opened.LoadAsync(id, cancellationToken) is not { } journal)
            {
                await env.Error.WriteLineAsync($"error: no run '{id}' in the store (see fanout runs)");
                return ExitCodes.Invalid;
            }

            if (parse.GetValue(json))
            {
                await env.Out.WriteLineAsync(JsonSerializer.Serialize(journal with { Run = journal.Run with { PlanText = null } }, RunReport.JsonOptions));
                return ExitCodes.Success;
            }

            await WriteAsync(env.Out, journal, await opened.GetLeaseAsync(id, cancellationToken));
            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task WriteAsync(TextWriter writer, RunJournal journal, RunLease? lease)
    {
        var run = journal.Run;
        await writer.WriteLineAsync($"run      {run.RunId}");
        await writer.WriteLineAsync($"plan     {run.Plan}{(run.PlanPath is { } p ? $" ({p})" : "")}");
        await writer.WriteLineAsync($"status   {run.Status}");
        if (lease is { Held: true })
        {
            var gone = LocalOwners.IsGone(lease.Owner) ? " (that process is gone: fanout resume takes the run over)" : "";
            await writer.WriteLineAsync($"owner    {lease.Describe()}{gone}");
        }

        await writer.WriteLineAsync($"started  {run.StartedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC");
        var attempts = journal.Attempts.ToLookup(a => a.InstanceId, StringComparer.Ordinal);
        await writer.WriteLineAsync($"{"TASK",-32} {"STATE",-10} ATTEMPTS");
        foreach (var instance in journal.Instances.OrderBy(i => i.TaskId, StringComparer.Ordinal).ThenBy(i => i.ItemIndex ?? -1))
        {
            var log = string.Join(", ", attempts[instance.InstanceId].Select(a => a.CacheHit ? $"{a.Outcome.ToWire()} (cached)" : a.Outcome.ToWire()));
            var error = instance.Error is { } e ? $"  — {e}" : "";
            await writer.WriteLineAsync($"{instance.InstanceId,-32} {instance.State.ToWire(),-10} {log}{error}");
        }
    }
}
