namespace Fanout.Tests.Cache;

public sealed class CachePolicyTests
{
    private static readonly PlanDefinition Plan = new() { Name = "p" };

    private static TaskDefinition Task(TaskBody body, bool? cache = null, bool pure = false) => new() { Id = "t", Body = body, Cache = cache, Pure = pure };

    private static readonly PromptBody Cold = new() { Prompt = "x", Temperature = 0 };
    private static readonly PromptBody Warm = new() { Prompt = "x", Temperature = 0.7 };
    private static readonly ProcessBody Process = new() { Argv = ["true"] };

    [Fact]
    public void Temperature_zero_prompts_and_merges_are_cached_by_default() =>
        Assert.Equal([true, false, false, true],
            new TaskBody[] { Cold, Warm, new PromptBody { Prompt = "x" }, new MergeBody { Value = default } }.Select(b => CachePolicy.Allows(Task(b), Plan)));

    [Fact]
    public void Processes_are_cached_only_when_declared_pure()
    {
        Assert.False(CachePolicy.Allows(Task(Process), Plan));
        Assert.True(CachePolicy.Allows(Task(Process, pure: true), Plan));
        Assert.False(CachePolicy.Allows(Task(Process), Plan with { Cache = true }));
    }

    [Fact]
    public void A_task_setting_wins_over_the_plan_and_the_defaults()
    {
        Assert.True(CachePolicy.Allows(Task(Warm, cache: true), Plan with { Cache = false }));
        Assert.False(CachePolicy.Allows(Task(Cold, cache: false), Plan));
    }

    [Fact]
    public void A_plan_setting_turns_prompts_on_or_everything_off()
    {
        Assert.True(CachePolicy.Allows(Task(Warm), Plan with { Cache = true }));
        Assert.False(CachePolicy.Allows(Task(Cold), Plan with { Cache = false }));
        Assert.False(CachePolicy.Allows(Task(new MergeBody { Value = default }), Plan with { Cache = false }));
    }
}
