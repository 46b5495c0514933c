using Spectre.Console;

namespace Fanout.Cli.Output;

/// <summary>The end-of-run table: outcome, timing against the lower bound, concurrency, tokens and cost.</summary>
internal static class Summary
{
    /// <summary>Writes the table for <paramref name="report"/>; <paramref name="estimate"/> words it as a prediction.</summary>
    public static void Write(IAnsiConsole console, RunReport report, bool estimate = false)
    {
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(report);
        var table = new Table()
            .Border(TableBorder.Rounded)
            .Title(estimate ? $"estimate of '{Markup.Escape(report.Plan)}' (virtual time: nothing was run)" : $"run {Markup.Escape(report.RunId)} of '{Markup.Escape(report.Plan)}'")
            .AddColumn("")
            .AddColumn("")
            .HideHeaders();

        table.AddRow("status", $"[{StatusColour(report.Status)}]{StatusWord(report.Status)}[/]  {Counts(report)}");
        table.AddRow(estimate ? "predicted makespan" : "makespan", Format.Ms(report.MakespanMs));
        table.AddRow("sequential", $"{Format.Ms(report.SequentialMs)} [grey](sum of task durations)[/]");
        table.AddRow("speedup", Format.Times(report.Speedup));
        table.AddRow("critical path", $"{Markup.Escape(string.Join(" → ", report.CriticalPath))} [grey]({Format.Ms(report.CriticalPathMs)})[/]");
        table.AddRow("lower bound", $"{Format.Ms(report.LowerBoundMs)} [grey](no schedule can beat this)[/]");
        table.AddRow("efficiency", $"{Format.Percent(report.Efficiency)} [grey](lower bound / makespan)[/]");
        table.AddRow("concurrency", $"peak {report.PeakConcurrency} / limit {report.Concurrency}");
        table.AddRow("tokens", $"{Format.Tokens(report.Tokens.Input)} in / {Format.Tokens(report.Tokens.Output)} out");
        table.AddRow("cost", report.BudgetUsd is { } budget
            ? $"{Format.Cost(report.CostUsd)} [grey]of a {Format.Cost(budget)} budget[/]{(report.Status == RunStatus.BudgetExhausted ? " [red](budget exhausted: tasks not started were cancelled)[/]" : "")}"
            : Format.Cost(report.CostUsd));
        if (report.CacheHits > 0)
        {
            table.AddRow("cache", $"{report.CacheHits} {(report.CacheHits == 1 ? "task" : "tasks")} from the result cache [grey]({Format.Cost(report.CostSavedUsd)} saved; --no-cache runs everything)[/]");
        }

        table.AddRow("retries", $"{report.Retries}{(report.RateLimited > 0 ? $" [grey]({report.RateLimited} rate limited)[/]" : "")}");
        console.Write(table);
    }

    private static string Counts(RunReport report)
    {
        var parts = report.Counts.InStateOrder().Select(kv => $"{kv.Value} {kv.Key}");
        return $"[grey]{string.Join(" · ", parts)}[/]";
    }

    private static string StatusWord(RunStatus status) => status.ToWire();

    private static string StatusColour(RunStatus status) => status switch
    {
        RunStatus.Succeeded => "green",
        RunStatus.Cancelled => "yellow",
        _ => "red",
    };
}
