namespace Fanout.Tests.Cache;

public sealed class CacheReportTests
{
    [Fact]
    public void The_html_report_shows_cache_hits_and_the_cost_they_saved()
    {
        var report = new RunReport
        {
            RunId = "r",
            Plan = "p",
            CacheHits = 1,
            CostSavedUsd = 0.25m,
            Tasks = [new TaskReport { Id = "a", Kind = "prompt", Status = TaskState.Succeeded, CacheHit = true, CostSavedUsd = 0.25m }],
        };

        var html = HtmlReport.Render(report);

        Assert.Contains("Cache hits", html, StringComparison.Ordinal);
        Assert.Contains("cached (saved $0.25", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_json_carries_cache_hit_only_on_hits()
    {
        var json = new RunReport
        {
            RunId = "r",
            Plan = "p",
            Tasks = [new TaskReport { Id = "a", Kind = "prompt", CacheHit = true, CostSavedUsd = 1m }, new TaskReport { Id = "b", Kind = "prompt" }],
        }.ToJson();

        Assert.Single(System.Text.RegularExpressions.Regex.Matches(json, "\"cache_hit\": true"));
        Assert.Contains("\"cost_saved_usd\": 1", json, StringComparison.Ordinal);
    }
}
