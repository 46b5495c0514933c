using System.Text;
using Fanout.Tests.Cli;

namespace Fanout.Tests.Plans;

/// <summary>
/// Issue 11 item 5: reporting problems costs time in proportion to the plan (20,000 bad tasks took 140 s when each
/// unknown name was compared with every id), and the CLI prints the first 50 problems and a count of the rest.
/// </summary>
public sealed class LinearDiagnosticsTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private static string BadTasks(int count) => Tasks(count, i => $"needs: [missing{i}]");

    /// <summary>Tasks task0, task1… each a prompt with one more <paramref name="field"/>.</summary>
    private static string Tasks(int count, Func<int, string> field)
    {
        var text = new StringBuilder("name: bad\ntasks:\n");
        for (var i = 0; i < count; i++)
        {
            text.Append($"  - id: task{i}\n    prompt: hi\n    {field(i)}\n");
        }

        return text.ToString();
    }

    [Fact]
    public async Task Thousands_of_bad_tasks_are_printed_as_the_first_50_and_a_count_of_the_rest()
    {
        var plan = _cli.Plan(BadTasks(2_000));

        var result = await _cli.RunAsync("validate", plan);

        Assert.Equal(2, result.ExitCode);
        var lines = result.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(51, lines.Length);
        Assert.Equal($"{plan}:5:13: error: task 'task0' needs unknown task 'missing0'", lines[0]);
        Assert.Equal($"{plan}:152:13: error: task 'task49' needs unknown task 'missing49'", lines[49]);
        Assert.Equal("… and 1950 more problems (2000 in all)", lines[50]);
    }

    [Fact]
    public void Finding_the_problems_of_five_thousand_bad_tasks_costs_what_reading_the_plan_costs()
    {
        // Memory allocated is the measure because it is exact on a busy machine, where time is not: comparing each
        // unknown name with every id allocated a distance table per pair, 25 million of them here.
        var good = Tasks(5_000, i => $"description: missing{i}");
        var bad = BadTasks(5_000);
        Load.Problems(BadTasks(300)); // first-use caches

        var before = GC.GetAllocatedBytesForCurrentThread();
        Load.Yaml(good);
        var reading = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        var problems = Load.Problems(bad);
        var reporting = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(5_000, problems.Count);
        Assert.True(reporting < 3 * reading, $"reading {reading >> 20} MiB, reading and reporting {reporting >> 20} MiB");
    }

    [Fact]
    public void A_typo_among_thousands_of_ids_still_gets_its_suggestion()
    {
        var text = BadTasks(2_000).Replace("needs: [missing7]", "needs: [tsak1234]", StringComparison.Ordinal);

        var problems = Load.Problems(text);

        Assert.Contains(problems, p => p.Message == "task 'task7' needs unknown task 'tsak1234' (did you mean 'task1234'?)");
        Assert.Equal(2_000, problems.Count);
    }

    [Theory]
    [InlineData("tsak3")]
    [InlineData("task_3")]
    [InlineData("TASK3")]
    [InlineData("zzz")]
    [InlineData("task")]
    public void The_index_suggests_what_a_full_scan_suggests_within_two_edits(string name)
    {
        var many = Enumerable.Range(0, 1000).Select(i => $"task{i}").ToList();

        Assert.Equal(Names.Nearest(name, many), Names.Index(many).Nearest(name));
    }
}
