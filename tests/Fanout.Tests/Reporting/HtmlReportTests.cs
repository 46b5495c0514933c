using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Fanout.Tests.Support;

namespace Fanout.Tests.Reporting;

public class HtmlReportTests
{
    private static readonly RunReport Report = SampleRun.Report;
    private static readonly string Page = HtmlReport.Render(Report);

    [Fact]
    public void Sample_run_has_the_cases_the_report_must_show()
    {
        // Guards the other tests: they are only meaningful if the run really retried, failed, skipped and fanned out.
        Assert.Equal(RunStatus.Failed, Report.Status);
        Assert.Equal(2, Report.Tasks.Single(t => t.Id == "flaky-fetch").Attempts);
        Assert.Equal(TaskState.Failed, Report.Tasks.Single(t => t.Id == "broken").Status);
        Assert.Equal(TaskState.Skipped, Report.Tasks.Single(t => t.Id == "after-broken").Status);
        Assert.Equal(3, Report.Tasks.Single(t => t.Id == "pages").Items);
        Assert.Contains("pages[2]", Report.CriticalPath);
    }

    [Fact]
    public void Every_row_appears_once_in_the_table_and_once_in_the_timeline()
    {
        foreach (var (task, index) in Report.Tasks.Select((t, i) => (t, i)))
        {
            var id = Regex.Escape(System.Net.WebUtility.HtmlEncode(task.Id));
            Assert.Single(Regex.Matches(Page, $"<tr id=\"row-{index}\"[^>]*data-id=\"{id}\""));
            Assert.Single(Regex.Matches(Page, $"<g class=\"row [^\"]*\" data-id=\"{id}\""));
            Assert.Equal(2, Regex.Matches(Page, $"data-id=\"{id}\"").Count);
        }
    }

    [Fact]
    public void Critical_path_rows_carry_the_highlight_class_and_others_do_not()
    {
        foreach (var task in Report.Tasks)
        {
            var id = Regex.Escape(task.Id);
            var svgClass = Regex.Match(Page, $"<g class=\"([^\"]*)\" data-id=\"{id}\"").Groups[1].Value.Split(' ');
            var rowClass = Regex.Match(Page, $"<tr [^>]*data-id=\"{id}\" class=\"([^\"]*)\"").Groups[1].Value.Split(' ');
            Assert.Equal(task.Critical, svgClass.Contains("critical"));
            Assert.Equal(task.Critical, rowClass.Contains("critical"));
        }

        Assert.Contains("class=\"critical-line\"", Page, StringComparison.Ordinal);
    }

    [Fact]
    public void Script_in_an_output_is_shown_as_text()
    {
        Assert.DoesNotContain("<script>alert", Page, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt;", Page, StringComparison.Ordinal);
        Assert.Single(Regex.Matches(Page, "<script"));
    }

    [Fact]
    public void Errors_are_escaped()
    {
        Assert.Contains("disk &lt;full&gt; &amp; &quot;quoted&quot;", Page, StringComparison.Ordinal);
        Assert.DoesNotContain("<full>", Page, StringComparison.Ordinal);
    }

    [Fact]
    public void Page_references_no_network_resources()
    {
        Assert.DoesNotMatch(new Regex(@"\b(src|href)\s*=\s*[""']?\s*(https?:)?//", RegexOptions.IgnoreCase), Page);
        Assert.DoesNotContain("http://", Page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", Page, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotMatch(new Regex(@"<link\b|@import|url\((?!#)", RegexOptions.IgnoreCase), Page);
        Assert.Contains("default-src 'none'", Page, StringComparison.Ordinal);
    }

    [Fact]
    public void Summary_figures_are_formatted_from_the_report()
    {
        var invariant = CultureInfo.InvariantCulture;
        Assert.True(Report.Speedup > 1);
        Assert.Equal(Report.Speedup.ToString("0.00", invariant) + "×", CardValue("speedup"));
        Assert.Equal((Report.Efficiency * 100).ToString("0.0", invariant) + "%", CardValue("efficiency"));
        Assert.Equal(Durations.Format(TimeSpan.FromMilliseconds(Report.MakespanMs)), CardValue("makespan"));
        Assert.Equal($"{Report.PeakConcurrency} / {Report.Concurrency}", CardValue("concurrency"));
        Assert.Equal("1", CardValue("retries"));
        Assert.Equal("$0.0000", CardValue("cost"));
    }

    [Fact]
    public void Counts_card_lists_each_status()
    {
        var counts = CardValue("counts");
        foreach (var (status, count) in Report.Counts)
        {
            Assert.Contains($"{count}&nbsp;{status}", counts, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Header_shows_plan_run_id_and_coloured_status()
    {
        Assert.Contains("<h1>report-sample <span class=\"badge run-status\" style=\"background:#c62828\">failed</span></h1>", Page, StringComparison.Ordinal);
        Assert.Contains("run <code>test</code>", Page, StringComparison.Ordinal);
    }

    [Fact]
    public void Timeline_svg_is_well_formed_with_one_group_per_row()
    {
        var svg = Svg(Page);
        var rows = svg.Descendants("g").Where(g => HasClass(g, "row")).ToList();
        Assert.Equal(Report.Tasks.Select(t => t.Id), rows.Select(g => (string)g.Attribute("data-id")!));
        Assert.All(rows, g => Assert.NotNull(g.Element("title")));
    }

    [Fact]
    public void Timeline_marks_the_failed_attempt_of_a_retried_task()
    {
        var row = SvgRow("flaky-fetch");
        var attempts = row.Elements("rect").Where(r => HasClass(r, "attempt")).ToList();
        Assert.Equal(2, attempts.Count);
        Assert.True(HasClass(attempts[0], "attempt-failed"));
        Assert.True(HasClass(attempts[1], "attempt-ok"));
        Assert.Contains("attempt 1 failed: 503 from upstream", row.Element("title")!.Value, StringComparison.Ordinal);
    }

    [Fact]
    public void Timeline_bars_are_placed_on_the_time_scale()
    {
        // The plot starts at x=240 (after the labels) and is 860 wide for the whole makespan; summary ends the run.
        const double left = 240, width = 860;
        var scale = width / Report.MakespanMs;
        var plan = Bar("plan");
        var summary = Bar("summary");
        Assert.Equal(left, plan.X, 1);
        Assert.Equal(100 * scale, plan.Width, 1);
        Assert.Equal(left + Report.StartMs("summary") * scale, summary.X, 1);
        Assert.Equal(left + width, summary.X + summary.Width, 1);
    }

    [Fact]
    public void Timeline_draws_a_skipped_task_as_a_marker_without_a_bar()
    {
        var row = SvgRow("after-broken");
        Assert.Single(row.Elements("path"), p => HasClass(p, "marker"));
        Assert.DoesNotContain(row.Elements("rect"), r => HasClass(r, "bar"));
    }

    [Fact]
    public void Timeline_shows_a_fanout_as_a_summary_bar_over_indented_items()
    {
        var group = SvgRow("pages");
        Assert.True(HasClass(group, "group"));
        Assert.Single(group.Elements("rect"), r => HasClass(r, "summary"));
        var groupLabel = LabelX(group);
        for (var i = 0; i < 3; i++)
        {
            var item = SvgRow($"pages[{i}]");
            Assert.True(HasClass(item, "item"));
            Assert.True(LabelX(item) > groupLabel);
        }
    }

    [Fact]
    public void Timeline_shows_the_wait_of_a_task_held_by_the_concurrency_limit()
    {
        // Five tasks became ready at 100ms with four slots: broken waited for one.
        var row = Report.Row("broken");
        Assert.True(row.WaitMs > 0);
        var wait = SvgRow("broken").Elements("rect").Single(r => HasClass(r, "wait"));
        var scale = 860 / Report.MakespanMs;
        Assert.Equal(240 + (row.QueuedAt!.Value - Report.StartedAt).TotalMilliseconds * scale, Number(wait, "x"), 1);
        Assert.Equal(row.WaitMs * scale, Number(wait, "width"), 1);
        Assert.DoesNotContain(SvgRow("plan").Elements("rect"), r => HasClass(r, "wait"));
    }

    [Fact]
    public void Timeline_draws_attempts_only_for_retried_tasks()
    {
        Assert.DoesNotContain(SvgRow("plan").Elements("rect"), r => HasClass(r, "attempt"));
    }

    [Fact]
    public void Large_output_is_truncated_with_a_note()
    {
        Assert.Contains(new string('x', TaskTable.MaxOutputChars) + "</pre>", Page, StringComparison.Ordinal);
        Assert.DoesNotContain(new string('x', TaskTable.MaxOutputChars + 1), Page, StringComparison.Ordinal);
        Assert.Contains("truncated: showing the first 4 KB; the whole output is in run.json", Page, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_outputs_are_pretty_printed_in_collapsed_details()
    {
        Assert.Contains("<details><summary>output", Page, StringComparison.Ordinal);
        Assert.Contains("{\n  &quot;page&quot;: &quot;home&quot;,\n  &quot;words&quot;: 300\n}", Page.ReplaceLineEndings("\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void Control_characters_in_user_text_keep_the_svg_well_formed()
    {
        var page = HtmlReport.Render(SampleRun.WithRow("broken", t => t with { Error = "ansi \u001b[31mred\u001b[0m and \0 nul" }));
        var title = Svg(page).Descendants("g").Single(g => (string?)g.Attribute("data-id") == "broken").Element("title")!.Value;
        Assert.Contains("ansi \uFFFD[31mred", title, StringComparison.Ordinal);
    }

    [Fact]
    public void Timeline_of_a_very_large_run_is_capped_with_a_note()
    {
        var plan = new PlanBuilder("wide")
            .Add(new TaskDefinition
            {
                Id = "many",
                Body = new DelegateBody(Sim.Work(5)),
                Foreach = new ForeachSpec { Items = SampleRun.Json(Enumerable.Range(0, GanttChart.MaxRows + 10).ToArray()) },
            })
            .Build();
        var report = Sim.Run(plan, concurrency: 64).Report;
        var page = HtmlReport.Render(report);
        Assert.Equal(GanttChart.MaxRows, Svg(page).Descendants("g").Count(g => HasClass(g, "row")));
        Assert.Contains($"Showing the first 2,000 of {report.Tasks.Length:#,0} rows.", page, StringComparison.Ordinal);
        Assert.Equal(report.Tasks.Length, Regex.Matches(page, "<tr id=\"row-").Count);
    }

    [Fact]
    public void Report_of_an_empty_plan_renders()
    {
        var page = HtmlReport.Render(new RunReport { RunId = "empty", Plan = "nothing" });
        Assert.NotNull(Svg(page));
        Assert.Contains(">none<", page, StringComparison.Ordinal);
    }

    [Fact]
    public void Numbers_do_not_depend_on_the_current_culture()
    {
        // Invariant globalization is on, so build a culture with German-style separators by hand.
        var german = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        german.NumberFormat.NumberDecimalSeparator = ",";
        german.NumberFormat.NumberGroupSeparator = ".";
        german.NumberFormat.CurrencyDecimalSeparator = ",";
        var previous = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            var invariantPage = HtmlReport.Render(Report);
            CultureInfo.CurrentCulture = german;
            Assert.Equal(invariantPage, HtmlReport.Render(Report));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    private string CardValue(string metric) =>
        Regex.Match(Page, $"data-metric=\"{metric}\">.*?<div class=\"value[^\"]*\">(.*?)</div>").Groups[1].Value;

    private static XElement Svg(string page)
    {
        var start = page.IndexOf("<svg", StringComparison.Ordinal);
        var end = page.IndexOf("</svg>", StringComparison.Ordinal) + "</svg>".Length;
        return XDocument.Parse(page[start..end]).Root!;
    }

    private static XElement SvgRow(string id) =>
        Svg(Page).Descendants("g").Single(g => (string?)g.Attribute("data-id") == id);

    private static (double X, double Width) Bar(string id)
    {
        var bar = SvgRow(id).Elements("rect").Single(r => HasClass(r, "bar"));
        return (Number(bar, "x"), Number(bar, "width"));
    }

    private static double LabelX(XElement row) => Number(row.Elements("text").Single(t => HasClass(t, "label")), "x");

    private static double Number(XElement element, string attribute) =>
        double.Parse((string)element.Attribute(attribute)!, CultureInfo.InvariantCulture);

    private static bool HasClass(XElement element, string name) =>
        ((string?)element.Attribute("class") ?? "").Split(' ').Contains(name);
}
