using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Fanout.Cli.Storage;
using Fanout.Storage;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout runs</c>: the journaled runs, newest first.</summary>
internal static class RunsCommand
{
    public static Command Create(CliEnvironment env)
    {
        var store = StoreOptions.Store();
        var plan = new Option<string?>("--plan") { Description = "Only runs of this plan (its name)", HelpName = "NAME" };
        var limit = new Option<int>("--limit") { Description = "At most this many runs", DefaultValueFactory = _ => 20, HelpName = "N" }.Between(1, 100_000);
        var json = CommonOptions.Json("Print the runs as JSON");
        var command = new Command("runs", "List journaled runs, newest first: id, plan, status, start, duration, cost") { store, plan, limit, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var opened = StoreFactory.TryOpen(parse.GetValue(store), env);
            if (opened is null)
            {
                return ExitCodes.Invalid;
            }

            var runs = await opened.ListRunsAsync(new RunQuery { Plan = parse.GetValue(plan), Limit = parse.GetValue(limit) }, cancellationToken);
            if (parse.GetValue(json))
            {
                await env.Out.WriteLineAsync(JsonSerializer.Serialize(runs.Select(r => new
                {
                    run_id = r.RunId, plan = r.Plan, status = r.Status, started_at = r.StartedAt, finished_at = r.FinishedAt, cost_usd = r.CostUsd,
                })));
                return ExitCodes.Success;
            }

            if (runs.Count == 0)
            {
                await env.Out.WriteLineAsync("no runs");
                return ExitCodes.Success;
            }

            await env.Out.WriteLineAsync($"{"RUN",-24} {"PLAN",-24} {"STATUS",-16} {"STARTED (UTC)",-20} {"DURATION",10} {"COST",10}");
            foreach (var r in runs)
            {
                var duration = r.FinishedAt is { } f ? Output.Format.Ms((f - r.StartedAt).TotalMilliseconds) : "-";
                var cost = r.CostUsd is { } c ? Output.Format.Cost(c) : "-";
                await env.Out.WriteLineAsync($"{r.RunId,-24} {r.Plan,-24} {r.Status,-16} {r.StartedAt.UtcDateTime,-20:yyyy-MM-dd HH:mm:ss} {duration,10} {cost,10}");
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
