using System.Collections.Immutable;
using Fanout.Storage;
using Fanout.Tests.Support;
using Fanout.Tests.Plans;

namespace Fanout.Tests.Durability;

/// <summary>Resuming after the plan changed: a task whose definition changed runs again with its descendants; the
/// rest keeps its results. Real processes append their id to a file, so every execution is visible.</summary>
public sealed class PlanChangeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fanout-planchange-").FullName;
    private readonly InMemoryRunStore _store = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private PlanDefinition Plan(string bWord) => Load.Yaml($$$"""
        name: change
        tasks:
          - id: a
            argv: [sh, -c, 'echo a >> ran.txt; echo A']
          - id: b
            needs: [a]
            argv: [sh, -c, 'echo b >> ran.txt; echo "$1"', sh, "{{{bWord}}} {{tasks.a.output}}"]
          - id: c
            needs: [b]
            argv: [sh, -c, 'echo c >> ran.txt; echo "C $1"', sh, "{{tasks.b.output}}"]
          - id: d
            argv: [sh, -c, 'echo d >> ran.txt; echo D']
        """, _directory);

    private async Task<RunReport> RunAsync(PlanDefinition plan, RunJournal? resume = null) =>
        await new Scheduler(TaskGraph.Compile(plan), new RunOptions { Store = _store, Resume = resume, RunId = "r", Executors = Sim.Executors }).RunAsync();

    private string[] Ran() => File.ReadAllLines(Path.Combine(_directory, "ran.txt"));

    [Fact]
    public async Task Changing_one_task_reruns_it_and_its_descendants_only()
    {
        await RunAsync(Plan("hello"));
        File.Delete(Path.Combine(_directory, "ran.txt"));

        var report = await RunAsync(Plan("bye"), await _store.LoadAsync("r"));

        Assert.Equal(["b", "c"], Ran().Order(StringComparer.Ordinal));
        Assert.Equal("\"C bye A\"", report.Tasks.Single(t => t.Id == "c").Output!.Value.GetRawText());
    }

    [Fact]
    public async Task An_unchanged_plan_reruns_nothing_that_succeeded()
    {
        await RunAsync(Plan("hello"));
        File.Delete(Path.Combine(_directory, "ran.txt"));

        var report = await RunAsync(Plan("hello"), await _store.LoadAsync("r"));

        Assert.False(File.Exists(Path.Combine(_directory, "ran.txt")));
        Assert.Equal(RunStatus.Succeeded, report.Status);
    }

    [Fact]
    public void Definition_hashes_change_for_the_edited_task_and_its_descendants_only()
    {
        var before = DefinitionHashes.Compute(TaskGraph.Compile(Plan("hello")));
        var after = DefinitionHashes.Compute(TaskGraph.Compile(Plan("bye")));

        Assert.Equal([true, false, false, true], before.Zip(after, (x, y) => x == y));
    }

    [Fact]
    public void Retry_and_timeout_settings_do_not_change_a_definition_hash()
    {
        var plan = Plan("hello");
        var tuned = plan with { Tasks = [.. plan.Tasks.Select(t => t with { Timeout = TimeSpan.FromSeconds(3), Retry = new RetryPolicy { MaxAttempts = 9 }, Description = "x" })] };

        Assert.Equal(DefinitionHashes.Compute(TaskGraph.Compile(plan)), DefinitionHashes.Compute(TaskGraph.Compile(tuned)));
    }
}
