using System.Collections.Immutable;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Fanout;

/// <summary>The report's table of tasks, in report order, with each output collapsible and pretty-printed.</summary>
internal static class TaskTable
{
    /// <summary>Characters of an output shown before it is cut (the whole output stays in run.json).</summary>
    public const int MaxOutputChars = 4096;

    // Relaxed escaping keeps non-ASCII text and '<' readable; the text is HTML-escaped afterwards.
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] Columns =
        ["task", "kind", "status", "attempts", "start", "duration", "wait", "provider / model / key", "tokens in / out", "cost", "error", "output"];

    private static readonly HashSet<string> NumericColumns = ["attempts", "start", "duration", "wait", "tokens in / out", "cost"];

    public static void Write(StringBuilder html, RunReport report, int maxRows)
    {
        html.Append("<section>\n<h2>Tasks <span class=\"toolbar\"><button type=\"button\" id=\"toggle-outputs\">Expand outputs</button></span></h2>\n")
            .Append("<table class=\"tasks\">\n<thead><tr>");
        foreach (var column in Columns)
        {
            html.Append(NumericColumns.Contains(column) ? "<th class=\"num\">" : "<th>").Append(Html.Escape(column)).Append("</th>");
        }

        html.Append("</tr></thead>\n<tbody>\n");
        var shown = Math.Min(maxRows, report.Tasks.Length);
        for (var i = 0; i < shown; i++)
        {
            Row(html, report, i, report.Tasks[i]);
        }

        html.Append("</tbody>\n</table>\n");
        if (shown < report.Tasks.Length)
        {
            html.Append("<p class=\"note\">").Append(Html.Count(report.Tasks.Length - shown)).Append(" more rows are in run.json.</p>\n");
        }

        html.Append("</section>\n");
    }

    private static void Row(StringBuilder html, RunReport report, int index, TaskReport task)
    {
        var classes = $"s-{task.Status.ToWire()}{(task.Critical ? " critical" : "")}{(task.Items is not null ? " group" : "")}{(task.Parent is not null ? " item" : "")}";
        html.Append("<tr id=\"row-").Append(index).Append("\" data-row=\"row-").Append(index).Append("\" data-id=\"")
            .Append(Html.Escape(task.Id)).Append("\" class=\"").Append(classes).Append("\">");
        html.Append("<td class=\"id\"><code>").Append(Html.Escape(task.Id)).Append("</code>");
        if (task.Items is { } items)
        {
            html.Append(" <span class=\"desc\">(").Append(Html.Count(items)).Append(items == 1 ? " item)" : " items)").Append("</span>");
        }

        if (task.Description is { } description)
        {
            html.Append("<div class=\"desc\">").Append(Html.Escape(description)).Append("</div>");
        }

        html.Append("</td>");
        Cell(html, task.Kind);
        html.Append("<td class=\"st st-").Append(task.Status.ToWire()).Append("\">").Append(task.Status.ToWire()).Append("</td>");
        Cell(html, task.Attempts > 0 ? Html.Count(task.Attempts) : "", numeric: true);
        Cell(html, task.StartedAt is { } started ? "+" + Html.Ms((started - report.StartedAt).TotalMilliseconds) : "", numeric: true);
        Cell(html, task.StartedAt is null ? "" : Html.Ms(task.DurationMs), numeric: true);
        Cell(html, task.WaitMs > 0 ? Html.Ms(task.WaitMs) : "", numeric: true);
        Cell(html, string.Join(" / ", new[] { task.Provider, task.Model, task.Key }.Where(s => !string.IsNullOrEmpty(s))));
        Cell(html, task.Tokens is { } tokens ? $"{Html.Count(tokens.Input)} / {Html.Count(tokens.Output)}" : "", numeric: true);
        Cell(html, task.CacheHit == true ? $"cached (saved {Html.Usd(task.CostSavedUsd ?? 0)})" : task.CostUsd is { } cost ? Html.Usd(cost) : "", numeric: true);
        html.Append("<td class=\"error\">").Append(Html.Escape(task.Error)).Append("</td>");
        html.Append("<td class=\"output\">");
        Artifacts(html, task.Artifacts);
        Output(html, "output", task.Output);
        Output(html, "details", task.Details);
        html.Append("</td></tr>\n");
    }

    /// <summary>A link per file the task wrote; paths are relative to the run's directory, where report.html lives.</summary>
    private static void Artifacts(StringBuilder html, ImmutableArray<string>? artifacts)
    {
        if (artifacts is not { IsDefaultOrEmpty: false } files)
        {
            return;
        }

        html.Append("<div class=\"artifacts\">");
        foreach (var file in files)
        {
            var href = string.Join('/', file.Split('/').Select(Uri.EscapeDataString));
            html.Append("<a href=\"").Append(Html.Escape(href)).Append("\">").Append(Html.Escape(file)).Append("</a> ");
        }

        html.Append("</div>");
    }

    private static void Cell(StringBuilder html, string text, bool numeric = false) =>
        html.Append(numeric ? "<td class=\"num\">" : "<td>").Append(Html.Escape(text)).Append("</td>");

    /// <summary>A collapsed, pretty-printed value; a string is shown as its text, not as a JSON literal.</summary>
    private static void Output(StringBuilder html, string label, JsonElement? value)
    {
        if (value is not { ValueKind: not JsonValueKind.Undefined } element)
        {
            return;
        }

        var text = element.ValueKind == JsonValueKind.String ? element.GetString()! : JsonSerializer.Serialize(element, Pretty);
        var (shown, truncated) = Truncate(text, MaxOutputChars);
        html.Append("<details><summary>").Append(label).Append(" <span class=\"note\">")
            .Append(Html.Escape(Size(Encoding.UTF8.GetByteCount(text)))).Append("</span></summary><pre>")
            .Append(Html.Escape(shown)).Append("</pre>");
        if (truncated)
        {
            html.Append("<p class=\"note\">… truncated: showing the first ").Append(Html.Escape(Size(Encoding.UTF8.GetByteCount(shown))))
                .Append("; the whole ").Append(label).Append(" is in run.json.</p>");
        }

        html.Append("</details>");
    }

    /// <summary>The first <paramref name="max"/> characters, never splitting a surrogate pair.</summary>
    internal static (string Text, bool Truncated) Truncate(string text, int max)
    {
        if (text.Length <= max)
        {
            return (text, false);
        }

        var cut = char.IsHighSurrogate(text[max - 1]) ? max - 1 : max;
        return (text[..cut], true);
    }

    private static string Size(int bytes) => bytes < 1024 ? $"{bytes} B" : Html.Num(bytes / 1024.0) + " KB";
}
