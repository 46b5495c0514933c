using System.Text;

namespace Fanout;

/// <summary>
/// The report's timeline as inline SVG, drawn here rather than in the browser so it shows without JavaScript, offline
/// and in print. One row per report row: the wait (ready → started) as a faint bar, the task from first start to
/// finish coloured by status, each attempt on top of it (failed ones hatched, so retries show), fan-out groups as a
/// thin bracket over their items, and the critical path outlined and joined by a dashed line. Colours are SVG
/// attributes, not page CSS, so the picture also stands alone when copied out of the page.
/// </summary>
internal sealed class GanttChart
{
    /// <summary>Rows drawn at most; a timeline of more would be unreadable (the table and run.json keep every row).</summary>
    public const int MaxRows = 2000;

    private const double LabelWidth = 240, PlotWidth = 860, NoteWidth = 120, RowHeight = 22, BarHeight = 12;
    private const double SummaryHeight = 4, AxisHeight = 24, Indent = 14, Padding = 6;
    private const int LabelChars = 36;
    private const string HatchId = "fanout-failed-attempt";

    private readonly RunReport _report;
    private readonly IReadOnlyList<TaskReport> _rows;
    private readonly ILookup<string, TaskReport> _items;
    private readonly double _spanMs;
    private readonly double _scale;
    private readonly StringBuilder _svg = new();

    private GanttChart(RunReport report, IReadOnlyList<TaskReport> rows)
    {
        _report = report;
        _rows = rows;
        _items = report.Tasks.Where(t => t.Parent is not null).ToLookup(t => t.Parent!, StringComparer.Ordinal);
        var lastEnd = rows.Select(r => r.FinishedAt).OfType<DateTimeOffset>().Select(Offset).DefaultIfEmpty(0).Max();
        _spanMs = Math.Max(1, Math.Max(report.MakespanMs, lastEnd));
        _scale = PlotWidth / _spanMs;
    }

    private static double Width => LabelWidth + PlotWidth + NoteWidth;

    private double Height => AxisHeight + _rows.Count * RowHeight + Padding;

    /// <summary>The <c>&lt;svg&gt;</c> element for <paramref name="rows"/> (at most <see cref="MaxRows"/> of them).</summary>
    public static string Render(RunReport report, IReadOnlyList<TaskReport> rows) => new GanttChart(report, rows).Draw();

    private string Draw()
    {
        _svg.Append("<svg class=\"gantt\" viewBox=\"0 0 ").Append(Html.Num(Width)).Append(' ').Append(Html.Num(Height))
            .Append("\" width=\"").Append(Html.Num(Width)).Append("\" height=\"").Append(Html.Num(Height))
            .Append("\" role=\"img\" aria-label=\"Timeline of run ").Append(Html.Escape(_report.RunId))
            .Append("\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" font-size=\"11\">\n");
        Definitions();
        Axis();
        for (var i = 0; i < _rows.Count; i++)
        {
            Row(i, _rows[i]);
        }

        CriticalLine();
        _svg.Append("</svg>");
        return _svg.ToString();
    }

    private double Offset(DateTimeOffset at) => (at - _report.StartedAt).TotalMilliseconds;

    private double X(double ms) => LabelWidth + Math.Clamp(ms, 0, _spanMs) * _scale;

    private static double Top(int row) => AxisHeight + row * RowHeight;

    private static double Middle(int row) => Top(row) + RowHeight / 2;

    private void Definitions() => _svg.Append("<defs><pattern id=\"").Append(HatchId)
        .Append("\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">")
        .Append("<rect width=\"6\" height=\"6\" fill=\"#ffcdd2\"/><rect width=\"3\" height=\"6\" fill=\"")
        .Append(StatusColors.Failed).Append("\"/></pattern></defs>\n");

    private void Axis()
    {
        var step = TimeAxis.Step(_spanMs);
        _svg.Append("<g class=\"axis\" fill=\"#555\">");
        Text(Padding, AxisHeight - 8, "task", "font-weight=\"600\"");
        foreach (var tick in TimeAxis.Ticks(_spanMs, step))
        {
            var x = X(tick);
            Line(x, AxisHeight - 4, x, Height - Padding, "stroke=\"#e3e6ea\"");
            Text(x, AxisHeight - 8, TimeAxis.Label(tick), tick == 0 ? "" : "text-anchor=\"middle\"");
        }

        _svg.Append("</g>\n");
    }

    private void Row(int index, TaskReport row)
    {
        var classes = $"row s-{row.Status.ToWire()}{(row.Critical ? " critical" : "")}{(row.Items is not null ? " group" : "")}{(row.Parent is not null ? " item" : "")}";
        _svg.Append("<g class=\"").Append(classes).Append("\" data-id=\"").Append(Html.Escape(row.Id))
            .Append("\" data-row=\"row-").Append(index).Append("\">");
        _svg.Append("<title>").Append(Html.Escape(Tooltip(row))).Append("</title>");
        // A full-width band under the row makes the whole row hoverable (for the tooltip) and zebra-striped.
        Rect(0, Top(index), Width, RowHeight, $"fill=\"{(index % 2 == 0 ? "#f6f7f9" : "#ffffff")}\" class=\"band\"");
        var label = row.Id.Length > LabelChars ? row.Id[..(LabelChars - 1)] + "…" : row.Id;
        Text(Padding + (row.Parent is null ? 0 : Indent), Middle(index) + 4, label,
            $"class=\"label\" fill=\"#222\"{(row.Critical ? " font-weight=\"700\"" : "")}");
        var end = row.Items is not null ? GroupBar(index, row) : TaskBars(index, row);
        Text(end + 4, Middle(index) + 4, Note(row), "class=\"note\" fill=\"#666\"");
        _svg.Append("</g>\n");
    }

    /// <summary>Draws a task's wait, bar and attempts; returns the x where its drawing ends.</summary>
    private double TaskBars(int index, TaskReport row)
    {
        var y = Middle(index) - BarHeight / 2;
        var colour = StatusColors.Of(row.Status);
        if (row is { QueuedAt: { } queued, StartedAt: { } waitEnd } && waitEnd > queued)
        {
            Span(Offset(queued), Offset(waitEnd), y, BarHeight, $"class=\"wait\" fill=\"{StatusColors.Wait}\" fill-opacity=\"0.6\"");
        }

        if (row.StartedAt is not { } started)
        {
            return Marker(index, row);
        }

        var finished = Offset(row.FinishedAt ?? _report.FinishedAt);
        var outline = row.Critical ? $" stroke=\"{StatusColors.Critical}\" stroke-width=\"2\"" : "";
        // A retried task shows each attempt on top of a pale bar; the pale gaps between them are the backoff.
        var retried = row.AttemptLog.Length > 1;
        Span(Offset(started), finished, y, BarHeight, $"class=\"bar\" fill=\"{colour}\" fill-opacity=\"{(retried ? "0.3" : "1")}\"{outline}");
        foreach (var attempt in retried ? row.AttemptLog : [])
        {
            var (fill, kind) = attempt.Outcome switch
            {
                AttemptOutcome.Succeeded => (colour, "ok"),
                AttemptOutcome.Cancelled => (StatusColors.Cancelled, AttemptOutcome.Cancelled.ToWire()),
                _ => ($"url(#{HatchId})", AttemptOutcome.Failed.ToWire()),
            };
            var stroke = fill.StartsWith("url(", StringComparison.Ordinal) ? $" stroke=\"{StatusColors.Failed}\" stroke-width=\"0.75\"" : "";
            Span(Offset(attempt.StartedAt), Offset(attempt.FinishedAt), y + 2, BarHeight - 4,
                $"class=\"attempt attempt-{kind}\" fill=\"{fill}\"{stroke}");
        }

        return X(finished);
    }

    /// <summary>A fan-out group: a thin bracket from its first item's start to its last item's end.</summary>
    private double GroupBar(int index, TaskReport group)
    {
        var items = _items[group.Id].ToList();
        var starts = items.Select(t => t.StartedAt ?? t.QueuedAt).OfType<DateTimeOffset>().ToList();
        var ends = items.Select(t => t.FinishedAt).OfType<DateTimeOffset>().ToList();
        if (starts.Count == 0 || ends.Count == 0)
        {
            return group.FinishedAt is null ? X(0) : Marker(index, group);
        }

        double from = Offset(starts.Min()), to = Offset(ends.Max()), middle = Middle(index);
        var colour = StatusColors.Of(group.Status);
        var outline = group.Critical ? $" stroke=\"{StatusColors.Critical}\" stroke-width=\"1.5\"" : "";
        Span(from, to, middle - SummaryHeight / 2, SummaryHeight, $"class=\"bar summary\" fill=\"{colour}\"{outline}");
        Rect(X(from), middle - 5, 2, 10, $"fill=\"{colour}\"");
        Rect(Math.Max(X(from), X(to) - 2), middle - 5, 2, 10, $"fill=\"{colour}\"");
        return X(to);
    }

    /// <summary>A task that never started (skipped, or cancelled while waiting): a hollow diamond where it settled.</summary>
    private double Marker(int index, TaskReport row)
    {
        var at = row.FinishedAt ?? row.QueuedAt ?? _report.StartedAt;
        double x = X(Offset(at)), y = Middle(index), r = 5;
        _svg.Append("<path class=\"marker\" d=\"M").Append(Html.Num(x)).Append(' ').Append(Html.Num(y - r))
            .Append(" L").Append(Html.Num(x + r)).Append(' ').Append(Html.Num(y))
            .Append(" L").Append(Html.Num(x)).Append(' ').Append(Html.Num(y + r))
            .Append(" L").Append(Html.Num(x - r)).Append(' ').Append(Html.Num(y))
            .Append(" Z\" fill=\"#fff\" stroke=\"").Append(row.Critical ? StatusColors.Critical : StatusColors.Of(row.Status))
            .Append("\" stroke-width=\"").Append(row.Critical ? "2" : "1.5").Append("\"/>");
        return x + r;
    }

    /// <summary>A dashed line from the end of each critical task to the start of the next, so the chain reads at a glance.</summary>
    private void CriticalLine()
    {
        var rowOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < _rows.Count; i++)
        {
            rowOf.TryAdd(_rows[i].Id, i);
        }

        var path = new StringBuilder();
        for (var k = 1; k < _report.CriticalPath.Length; k++)
        {
            if (rowOf.TryGetValue(_report.CriticalPath[k - 1], out var a) && rowOf.TryGetValue(_report.CriticalPath[k], out var b)
                && _rows[a].FinishedAt is { } aEnd && _rows[b].StartedAt is { } bStart)
            {
                path.Append(path.Length == 0 ? "M" : " M").Append(Html.Num(X(Offset(aEnd)))).Append(' ').Append(Html.Num(Middle(a)))
                    .Append(" L").Append(Html.Num(X(Offset(bStart)))).Append(' ').Append(Html.Num(Middle(b)));
            }
        }

        if (path.Length > 0)
        {
            _svg.Append("<path class=\"critical-line\" d=\"").Append(path).Append("\" fill=\"none\" stroke=\"")
                .Append(StatusColors.Critical).Append("\" stroke-width=\"1.25\" stroke-dasharray=\"3 2\"/>\n");
        }
    }

    private string Tooltip(TaskReport row)
    {
        var lines = new List<string> { $"{row.Id} ({row.Kind}){(row.Critical ? " · critical path" : "")}", $"status: {row.Status.ToWire()}" };
        if (row.StartedAt is { } started)
        {
            lines.Add($"start: +{Html.Ms(Offset(started))} · duration: {Html.Ms(row.DurationMs)} · wait: {Html.Ms(row.WaitMs)}");
        }

        if (row.Items is { } items)
        {
            lines.Add($"items: {Html.Count(items)}");
        }

        if (row.Attempts > 0)
        {
            lines.Add($"attempts: {row.Attempts}");
        }

        foreach (var attempt in row.AttemptLog.Where(a => a.Outcome != AttemptOutcome.Succeeded))
        {
            lines.Add($"  attempt {attempt.Attempt} {attempt.Outcome.ToWire()}: {attempt.Error}");
        }

        if (row.Tokens is { } tokens)
        {
            lines.Add($"tokens: {Html.Count(tokens.Input)} in / {Html.Count(tokens.Output)} out");
        }

        if (row.CostUsd is { } cost)
        {
            lines.Add($"cost: {Html.Usd(cost)}");
        }

        if (row.Error is { } error)
        {
            lines.Add($"error: {error}");
        }

        return string.Join('\n', lines);
    }

    private static string Note(TaskReport row) => row switch
    {
        { Items: { } items } => $"{Html.Count(items)} item{(items == 1 ? "" : "s")}",
        { StartedAt: null } => row.Status.ToWire(),
        { Attempts: > 1 } => $"{Html.Ms(row.DurationMs)} · {row.Attempts} attempts",
        _ => Html.Ms(row.DurationMs),
    };

    /// <summary>A rectangle from <paramref name="fromMs"/> to <paramref name="toMs"/>, at least 1 unit wide so instant tasks show.</summary>
    private void Span(double fromMs, double toMs, double y, double height, string attributes)
    {
        var x = X(fromMs);
        Rect(x, y, Math.Max(1, X(toMs) - x), height, attributes);
    }

    private void Rect(double x, double y, double width, double height, string attributes) =>
        _svg.Append("<rect x=\"").Append(Html.Num(x)).Append("\" y=\"").Append(Html.Num(y)).Append("\" width=\"")
            .Append(Html.Num(width)).Append("\" height=\"").Append(Html.Num(height)).Append("\" ").Append(attributes).Append("/>");

    private void Line(double x1, double y1, double x2, double y2, string attributes) =>
        _svg.Append("<line x1=\"").Append(Html.Num(x1)).Append("\" y1=\"").Append(Html.Num(y1)).Append("\" x2=\"")
            .Append(Html.Num(x2)).Append("\" y2=\"").Append(Html.Num(y2)).Append("\" ").Append(attributes).Append("/>");

    private void Text(double x, double y, string text, string attributes) =>
        _svg.Append("<text x=\"").Append(Html.Num(x)).Append("\" y=\"").Append(Html.Num(y)).Append("\" ").Append(attributes)
            .Append('>').Append(Html.Escape(text)).Append("</text>");
}
