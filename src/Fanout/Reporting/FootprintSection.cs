using System.Text;

namespace Fanout;

/// <summary>report.html's section on footprints, pools and rollback: the inferred edges and what each cost, how busy
/// each pool was, and what a rollback undid. Written only when the run has any of them.</summary>
internal static class FootprintSection
{
    public static void Write(StringBuilder html, RunReport report)
    {
        if (report.InferredEdges.IsEmpty && report.PoolUtilisation.IsEmpty && report.Compensations.IsEmpty)
        {
            return;
        }

        html.Append("<section id=\"footprints\">\n<h2>Ordering, pools and rollback</h2>\n");
        if (!report.InferredEdges.IsEmpty)
        {
            html.Append("<h3>Inferred edges</h3>\n<p class=\"note\">Added because footprints conflict; held = how long each kept its later task waiting (")
                .Append(Html.Ms(report.InferredEdges.Sum(e => e.HeldMs))).Append(" in all).</p>\n<table class=\"tasks\">\n<thead><tr><th>from</th><th>to</th><th>why</th><th>held</th></tr></thead>\n<tbody>\n");
            foreach (var edge in report.InferredEdges)
            {
                html.Append("<tr><td>").Append(Html.Escape(edge.From)).Append("</td><td>").Append(Html.Escape(edge.To)).Append("</td><td>")
                    .Append(Html.Escape(edge.Reason)).Append("</td><td>").Append(Html.Ms(edge.HeldMs)).Append("</td></tr>\n");
            }

            html.Append("</tbody>\n</table>\n");
        }

        if (!report.PoolUtilisation.IsEmpty)
        {
            html.Append("<h3>Pools</h3>\n<table class=\"tasks\">\n<thead><tr><th>pool</th><th>size</th><th>busy</th><th>utilisation</th></tr></thead>\n<tbody>\n");
            foreach (var pool in report.PoolUtilisation)
            {
                html.Append("<tr><td>").Append(Html.Escape(pool.Pool)).Append("</td><td>").Append(Html.Count(pool.Size)).Append("</td><td>")
                    .Append(Html.Ms(pool.BusyMs)).Append("</td><td>").Append(Html.Percent(pool.Utilisation)).Append("</td></tr>\n");
            }

            html.Append("</tbody>\n</table>\n");
        }

        if (!report.Compensations.IsEmpty)
        {
            html.Append("<h3>Rolled back</h3>\n<p class=\"note\">The run failed; these tasks were undone, latest-finished first.</p>\n<table class=\"tasks\">\n<thead><tr><th>task</th><th>undone by</th><th>status</th><th>error</th></tr></thead>\n<tbody>\n");
            foreach (var undo in report.Compensations)
            {
                html.Append("<tr><td>").Append(Html.Escape(undo.Task)).Append("</td><td>").Append(Html.Escape(undo.Compensation)).Append("</td><td>")
                    .Append(Html.Escape(undo.Status.ToWire())).Append("</td><td>").Append(Html.Escape(undo.Error)).Append("</td></tr>\n");
            }

            html.Append("</tbody>\n</table>\n");
        }

        html.Append("</section>\n");
    }
}
