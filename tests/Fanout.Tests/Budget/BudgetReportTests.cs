namespace Fanout.Tests.Budget;

/// <summary>The budget in report.html.</summary>
public class BudgetReportTests
{
    [Fact]
    public void Budget_exhausted_run_shows_its_status_and_budget_in_the_report()
    {
        var report = new RunReport { RunId = "r", Plan = "p", Status = RunStatus.BudgetExhausted, BudgetUsd = 0.5m, CostUsd = 0.52m };

        var html = HtmlReport.Render(report);

        Assert.Contains(">budget_exhausted</span>", html);
        Assert.Contains("budget $0.50", html);
    }
}
