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
    private const int BarWidth = 30;

    /// <summary>
    /// Shows the display while <paramref name="run"/> runs, then clears it (the summary follows) and leaves the tasks
    /// that failed or were skipped on screen: a run's problems should not scroll away with the live frame.
    /// </summary>
    public async Task<RunReport> WhileRunning(Func<Task<RunReport>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        Task<RunReport>? task = null;
        await console.Live(Render())
            .AutoClear(true)
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
        var report = await task!;
        WriteProblems(report);
        return report;
    }

    private void WriteProblems(RunReport report)
    {
        const int MaxLines = 20;
        var problems = report.Tasks.Where(t => t.Status is TaskState.Failed or TaskState.Skipped && t.Items is null).ToList();
        foreach (var task in problems.Take(MaxLines))
        {
            var tone = task.Status == TaskState.Failed ? EventLines.Tone.Bad : EventLines.Tone.Warning;
            console.MarkupLine($"[{Colour(tone)}]{task.Status.ToWire()} {Markup.Escape(task.Id)}: {Markup.Escape(Format.OneLine(task.Error))}[/]");
        }

        if (problems.Count > MaxLines)
        {
            console.MarkupLine($"[grey]… and {problems.Count - MaxLines} more (see run.json)[/]");
        }
    }

    private IRenderable Render()
    {
        var s = progress.Take();
        var now = time.GetUtcNow();
        var elapsed = s.StartedAt is { } start ? Durations.Format(now - start) : "starting";
        var rows = new List<IRenderable>
        {
            new Markup(Bar(s.Settled, s.Total) + Fit($" {s.Settled}/{s.Total} settled · {s.Running.Count}/{s.Concurrency} running · {elapsed}", BarWidth)),
        };

        if (s.Running.Count > 0)
        {
            var table = new Table().Border(TableBorder.Simple).AddColumn(TaskState.Running.ToWire()).AddColumn("attempt").AddColumn("elapsed");
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
            rows.Add(new Markup(Fit(text, 0, Colour(tone))));
        }

        rows.Add(new Markup(Fit(
            $"tokens {Format.Tokens(s.TokensIn)} in / {Format.Tokens(s.TokensOut)} out · cost {Format.Cost(s.Cost)} · " +
            $"retries {s.Retries} · failed {s.Failed} · skipped {s.Skipped}", 0, "grey")));
        return new Rows(rows);
    }

    /// <summary>
    /// <paramref name="text"/> escaped and cut to the rest of the line after <paramref name="used"/> columns: lines are
    /// cut rather than wrapped on narrow terminals, so the frame keeps its shape.
    /// </summary>
    private string Fit(string text, int used, string? style = null)
    {
        var room = Math.Max(10, console.Profile.Width - used - 1);
        var cut = text.Length <= room ? text : text[..(room - 1)] + "…";
        return style is null ? Markup.Escape(cut) : $"[{style}]{Markup.Escape(cut)}[/]";
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
