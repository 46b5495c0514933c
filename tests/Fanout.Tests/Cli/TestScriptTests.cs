using Fanout.Tests.Plans;

namespace Fanout.Tests.Cli;

/// <summary>
/// Issue 11 item 14: test.sh's check of the main example measures a real run. It ran in the repository with the
/// default store, so a previous run's cache served the tasks (a 4.3 s makespan instead of ~12 s).
/// </summary>
public sealed class TestScriptTests
{
    [Fact]
    public void The_main_example_check_runs_on_a_fresh_store_without_the_cache_and_asserts_no_cache_hits()
    {
        var script = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "test.sh")).Replace("\\\n", " ", StringComparison.Ordinal);

        var command = Assert.Single(script.Split('\n'), l => l.Contains("run examples/site-generator/plan.yaml", StringComparison.Ordinal));

        Assert.Contains("--no-cache", command, StringComparison.Ordinal);
        Assert.Contains("--store \"$out/", command, StringComparison.Ordinal); // $out is a new mktemp -d
        Assert.Contains("assert report.get(\"cache_hits\", 0) == 0", script, StringComparison.Ordinal);
    }
}
