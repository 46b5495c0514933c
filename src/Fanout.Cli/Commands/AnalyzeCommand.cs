using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.Json;
using Fanout.Cli.Output;
using Fanout.Tools.Analysis;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout analyze TRACE</c>: which recorded tool calls could have run together, and what that would save.</summary>
internal static class AnalyzeCommand
{
    public static Command Create(CliEnvironment env)
    {
        var trace = new Argument<string>("TRACE") { Description = "A JSONL trace: Fanout's own (fanout run --trace FILE) or a Claude Code session transcript" };
        var json = CommonOptions.Json("Print the analysis as JSON");
        var html = new Option<string?>("--html") { Description = "Also write the analysis as an HTML page", HelpName = "FILE" };
        var command = new Command("analyze", "Find the parallelism in tool calls already made: batches of calls that could have run together, the critical path and the projected saving. Exit 0, or 2 if the trace cannot be read")
        {
            trace, json, html,
        };
        command.SetAction(parse => Execute(env, parse.GetRequiredValue(trace), parse.GetValue(json), parse.GetValue(html)));
        return command;
    }

    public static int Execute(CliEnvironment env, string path, bool json, string? html)
    {
        TraceAnalysis analysis;
        try
        {
            analysis = TraceAnalysis.Of(TraceReader.Read(File.ReadLines(env.FullPath(path))));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or JsonException)
        {
            env.Error.WriteLine($"{path}: error: {e.Message}");
            return ExitCodes.Invalid;
        }

        if (json)
        {
            env.Out.WriteLine(JsonSerializer.Serialize(analysis, RunReport.JsonOptions));
        }
        else
        {
            WriteText(env.Out, analysis);
        }

        if (html is not null)
        {
            File.WriteAllText(env.FullPath(html), Html(analysis, Path.GetFileName(path)));
        }

        return ExitCodes.Success;
    }

    private static void WriteText(TextWriter output, TraceAnalysis analysis)
    {
        var calls = analysis.Calls;
        output.WriteLine($"{calls.Length} tool calls in {analysis.Batches.Length} batches");
        for (var b = 0; b < analysis.Batches.Length; b++)
        {
            var batch = analysis.Batches[b];
            output.WriteLine($"batch {b + 1} ({batch.Calls.Length} call{(batch.Calls.Length == 1 ? "" : "s")}, {Format.Ms(batch.DurationMs)}){(batch.Calls.Length > 1 ? ": could have run together" : "")}");
            foreach (var i in batch.Calls)
            {
                output.WriteLine($"  #{i + 1,-3} {calls[i].Summary,-64} {Format.Ms(calls[i].DurationMs),8}{(calls[i].Unknown ? $"  ({calls[i].Inference})" : "")}");
            }

            if (batch.EndedBy is { } why)
            {
                output.WriteLine($"  → next batch: {why}");
            }
        }

        output.WriteLine($"sequential      {Format.Ms(analysis.SequentialMs)} (the calls one after another, as recorded)");
        output.WriteLine($"batched         {Format.Ms(analysis.BatchedMs)} (each batch as long as its longest call)");
        output.WriteLine($"projected saving {Format.Ms(analysis.SavedMs)} ({Format.Percent(analysis.SavedFraction)})");
        output.WriteLine($"critical path   {Format.Ms(analysis.CriticalPathMs)}: {string.Join(" → ", analysis.CriticalPath.Select(i => $"#{i + 1}"))} (if calls could also be reordered)");
        var unknown = analysis.Unknown.ToList();
        if (unknown.Count > 0)
        {
            output.WriteLine($"{unknown.Count} call{(unknown.Count == 1 ? " conflicts" : "s conflict")} with everything, so nothing runs beside them: " +
                string.Join(", ", unknown.Select(c => $"#{c.Index + 1} {c.Tool} ({c.Inference})")));
        }
    }

    private static string Html(TraceAnalysis analysis, string name)
    {
        static string E(string text) => WebUtility.HtmlEncode(text);
        var total = Math.Max(1, analysis.SequentialMs);
        var html = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>fanout analyze — ")
            .Append(E(name)).Append("</title><style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left}")
            .Append(".bar{background:#4a90d9;height:10px}.unknown .bar{background:#d32f2f}.batch td{border-top:2px solid #ccc;font-weight:bold}</style></head><body>")
            .Append("<h1>").Append(E(name)).Append("</h1><p>")
            .Append(analysis.Calls.Length).Append(" calls in ").Append(analysis.Batches.Length).Append(" batches. Sequential ")
            .Append(E(Format.Ms(analysis.SequentialMs))).Append(", batched ").Append(E(Format.Ms(analysis.BatchedMs)))
            .Append(": projected saving ").Append(E(Format.Ms(analysis.SavedMs))).Append(" (").Append(Format.Percent(analysis.SavedFraction)).Append("). Critical path ")
            .Append(E(Format.Ms(analysis.CriticalPathMs))).Append(".</p><table><tr><th>#</th><th>call</th><th>footprint</th><th>duration</th><th></th></tr>");
        for (var b = 0; b < analysis.Batches.Length; b++)
        {
            var batch = analysis.Batches[b];
            html.Append("<tr class=\"batch\"><td colspan=\"5\">batch ").Append(b + 1).Append(" · ").Append(E(Format.Ms(batch.DurationMs))).Append("</td></tr>");
            foreach (var i in batch.Calls)
            {
                var call = analysis.Calls[i];
                html.Append(call.Unknown ? "<tr class=\"unknown\">" : "<tr>").Append("<td>").Append(i + 1).Append("</td><td>").Append(E(call.Summary))
                    .Append("</td><td>").Append(E(call.Unknown ? call.Inference : call.Footprint.ToString())).Append("</td><td>")
                    .Append(E(Format.Ms(call.DurationMs))).Append("</td><td><div class=\"bar\" style=\"width:")
                    .Append(Math.Max(1, (int)(400 * call.DurationMs / total))).Append("px\"></div></td></tr>");
            }

            if (batch.EndedBy is { } why)
            {
                html.Append("<tr><td></td><td colspan=\"4\"><small>→ ").Append(E(why)).Append("</small></td></tr>");
            }
        }

        return html.Append("</table></body></html>\n").ToString();
    }
}
