using Fanout.Tests.Support;

namespace Fanout.Tests;

public class SmokeTests
{
    [Fact]
    public void Diamond_runs_in_virtual_time()
    {
        var plan = new PlanBuilder("d")
            .Task("a", Sim.Work(100))
            .Task("b", Sim.Work(300), "a")
            .Task("c", Sim.Work(50), "a")
            .Task("d", Sim.Work(10), "b", "c")
            .Build();
        var (report, _) = Sim.Run(plan);
        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(410, report.MakespanMs);
        Assert.Equal(["a", "b", "d"], report.CriticalPath.ToArray());
        Assert.Equal(100, report.StartMs("c"));
    }
}
