using Spectre.Console;
using Spectre.Console.Rendering;

namespace Fanout.Cli.Output;

/// <summary>
/// The live display of a run in a terminal, redrawn about ten times a second from <see cref="RunProgress"/>: a progress
/// bar, the running tasks with their attempt and elapsed time, recent retries and failures, tokens, cost and elapsed.
/// </summary>
internal sealed class LiveView(IAnsiConsole console, RunProgress progress, TimeProvider time)
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(100);
    private const int MaxRunningRows = 12;
    private const int BarWidth = 40;

    /// <summary>Shows the display while <paramref name="run"/> runs; leaves the last frame on screen.</summary>
    public async Task<T> WhileRunning<T>(Func<Task<T>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        Task<T>? task = null;
        await console.Live(Render())
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .StartAsync(async context =>
            {
                task = run();
                while (!task.IsCompleted)
                {
                    await Task.WhenAny(task, Task.Delay(RefreshInterval, time));
                    context.UpdateTarget(Render());
                }
            });
        return await task!;
    }

    private IRenderable Render()
    {
        var s = progress.Take();
        var now = time.GetUtcNow();
        var elapsed = s.StartedAt is { } start ? Durations.Format(now - start) : "starting";
        var rows = new List<IRenderable> { new Markup($"{Bar(s.Settled, s.Total)}  {s.Settled}/{s.Total} settled  [blue]{s.Running.Count} running[/]  {elapsed}") };

        if (s.Running.Count > 0)
        {
            var table = new Table().Border(TableBorder.Simple).AddColumn("running").AddColumn("attempt").AddColumn("elapsed");
            foreach (var task in s.Running.Take(MaxRunningRows))
            {
                table.AddRow(Markup.Escape(task.Id), task.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture), Durations.Format(now - task.Since));
            }

            if (s.Running.Count > MaxRunningRows)
            {
                table.AddRow($"[grey]+{s.Running.Count - MaxRunningRows} more[/]", "", "");
            }

            rows.Add(table);
        }

        foreach (var (text, tone) in s.Recent)
        {
            rows.Add(new Markup($"[{Colour(tone)}]{Markup.Escape(text)}[/]"));
        }

        rows.Add(new Markup(
            $"[grey]tokens[/] {Format.Tokens(s.TokensIn)} in / {Format.Tokens(s.TokensOut)} out  [grey]cost[/] {Format.Cost(s.Cost)}  " +
            $"[grey]retries[/] {s.Retries}  [grey]failed[/] {s.Failed}  [grey]skipped[/] {s.Skipped}  [grey]limit[/] {s.Concurrency}"));
        return new Rows(rows);
    }

    private static string Bar(int done, int total)
    {
        var filled = total == 0 ? 0 : (int)Math.Round(BarWidth * (double)done / total);
        return $"[green]{new string('━', filled)}[/][grey]{new string('━', BarWidth - filled)}[/]";
    }

    private static string Colour(EventLines.Tone tone) => tone switch
    {
        EventLines.Tone.Good => "green",
        EventLines.Tone.Warning => "yellow",
        EventLines.Tone.Bad => "red",
        _ => "grey",
    };
}
