using Fanout.Plans;

namespace Fanout.Tests.Batch;

public sealed class BatchSlackTests
{
    [Fact]
    public void Mode_auto_batches_only_the_prompt_whose_slack_off_the_critical_path_exceeds_its_batch_window()
    {
        var plan = PlanLoader.Parse("""
            name: auto
            tasks:
              - id: long
                argv: [true]
                estimate: 3h
              - id: side
                prompt: "can wait"
                mode: auto
                batch_window: 1h
              - id: after_long
                needs: [long]
                prompt: "on the critical path"
                mode: auto
                batch_window: 1h
              - id: short_slack
                prompt: "waits less than a batch takes"
                mode: auto
                estimate: 150m
                batch_window: 1h
              - id: always
                needs: [long]
                prompt: "forced"
                mode: batch
              - id: online
                prompt: "default"
            """, "plan.yaml");

        bool Batched(string id) => BatchSlack.UsesBatch(plan, plan.Tasks.Single(t => t.Id == id));

        Assert.True(Batched("side"));
        Assert.False(Batched("after_long"));
        Assert.False(Batched("short_slack"));
        Assert.True(Batched("always"));
        Assert.False(Batched("online"));
    }

    [Fact]
    public void A_bad_mode_is_a_plan_error_with_its_location()
    {
        var e = Assert.Throws<PlanException>(() => PlanLoader.Parse("""
            name: bad
            tasks:
              - id: a
                prompt: hi
                mode: later
            """, "plan.yaml"));
        Assert.Contains("plan.yaml:5:", e.Message, StringComparison.Ordinal);
        Assert.Contains("'mode' must be one of: online, batch, auto", e.Message, StringComparison.Ordinal);
    }
}
