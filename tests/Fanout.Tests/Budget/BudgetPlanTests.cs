using Fanout.Tests.Plans;

namespace Fanout.Tests.Budget;

/// <summary>Reading <c>budget_usd</c>.</summary>
public class BudgetPlanTests
{
    [Fact]
    public void Budget_is_read_as_dollars()
    {
        var plan = Load.Yaml("""
            name: p
            budget_usd: 2.5
            tasks: [{ id: a, merge: 1 }]
            """);

        Assert.Equal(2.5m, plan.BudgetUsd);
    }

    [Fact]
    public void Plan_without_a_budget_has_none()
    {
        Assert.Null(Load.Yaml("name: p\ntasks: [{ id: a, merge: 1 }]").BudgetUsd);
    }

    [Fact]
    public void Negative_budget_is_reported_at_its_line()
    {
        var problem = Load.Problem("""
            name: p
            budget_usd: -1
            tasks: [{ id: a, merge: 1 }]
            """);

        Assert.Equal("2:13", problem.At());
        Assert.Contains("'budget_usd' must be a number from 0 to", problem.Message);
    }

    [Fact]
    public void Budget_that_is_not_a_number_is_an_error()
    {
        var problem = Load.Problem("""
            name: p
            budget_usd: lots
            tasks: [{ id: a, merge: 1 }]
            """);

        Assert.Contains("'budget_usd' must be a number", problem.Message);
    }
}
