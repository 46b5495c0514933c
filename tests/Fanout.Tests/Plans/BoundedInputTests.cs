using System.Diagnostics;
using System.Text;
using Fanout.Plans;
using Fanout.Plans.Yaml;
using Fanout.Tests.Cli;

namespace Fanout.Tests.Plans;

/// <summary>
/// Issue 11 item 4: what a plan, prompt file, <c>@file</c> input or providers file can make Fanout do is bounded —
/// alias expansion, nesting depth, file size and type — and every limit is reported where it is crossed.
/// </summary>
public sealed class BoundedInputTests : IDisposable
{
    private static readonly TimeSpan ProcessTimeout = TimeSpan.FromSeconds(30);
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    /// <summary>The classic "billion laughs": ten strings, then nine levels of ten aliases each, 10^10 strings in 671 bytes.</summary>
    private static string AliasBomb()
    {
        var text = new StringBuilder("name: bomb\n");
        text.Append($"l0: &l0 [{string.Join(",", Enumerable.Repeat("\"lol\"", 10))}]\n");
        for (var level = 1; level <= 9; level++)
        {
            var alias = $"*l{level - 1}";
            text.Append($"l{level}: &l{level} [{string.Join(",", Enumerable.Repeat(alias, 10))}]\n");
        }

        text.Append("tasks: [{id: t, prompt: x}]\n#");
        return text.Append('#', 671 - text.Length).ToString();
    }

    [Fact]
    public void A_671_byte_alias_bomb_is_rejected_at_once_where_expansion_passes_the_limit_and_with_little_memory()
    {
        var bomb = AliasBomb();
        Assert.Equal(671, Encoding.UTF8.GetByteCount(bomb));

        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        var problem = Load.Problem(bomb);
        clock.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        Assert.Contains("more than 1,000,000 values", problem.Message);
        Assert.Equal(7, problem.Location!.Line); // l5, 1,111,111 values: the first level past a million
        Assert.True(allocated < 16 << 20, $"allocated {allocated / 1024 / 1024} MiB");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Fact]
    public void An_alias_used_inside_the_value_it_names_is_rejected_where_it_is_used()
    {
        var problem = Load.Problem("""
            name: loop
            x: &a [1, [2, *a]]
            tasks: [{id: t, prompt: x}]
            """);

        Assert.Contains("alias '*a' is used inside the value '&a' names", problem.Message);
        Assert.Equal("2:15", problem.At());
    }

    [Fact]
    public async Task Twenty_thousand_nested_brackets_are_rejected_by_a_real_fanout_validate_at_the_line_and_column_of_the_limit()
    {
        var plan = _cli.Plan("name: deep\ntasks: " + new string('[', 20_000) + "\n");

        using var fanout = FanoutProcess.Start(_cli.Directory, "validate", plan);
        var exit = await fanout.ExitAsync(ProcessTimeout);

        Assert.True(exit.ExitCode == 2, exit.ToString());
        var line = Assert.Single(exit.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // The root mapping is the first level, so the 64th '[' is one too many.
        Assert.Equal($"{plan}:2:{"tasks: ".Length + NodeReader.MaxDepth}: error: lists and mappings are nested more than 64 levels deep here; flatten the structure", line);
    }

    [Fact]
    public void Nesting_up_to_the_limit_is_read()
    {
        var depth = NodeReader.MaxDepth - 3; // the root mapping, the task list and the task hold the merge value
        var nested = new string('[', depth) + new string(']', depth);

        var plan = Load.Yaml($"name: ok\ntasks:\n  - id: t\n    merge: {nested}\n");

        Assert.Equal("t", Assert.Single(plan.Tasks).Id);
    }

    [Fact]
    public void A_plan_file_over_the_size_limit_is_refused_before_it_is_parsed()
    {
        var plan = _cli.FilePath("big.yaml");
        using (var file = File.Create(plan))
        {
            file.SetLength(InputFile.MaxBytes + 1);
        }

        var problem = Assert.Single(Assert.Throws<PlanException>(() => PlanLoader.Load(plan)).Diagnostics);

        Assert.Equal($"cannot read plan file '{plan}' (too large ({InputFile.MaxBytes + 1} bytes or more; the limit is 8 MiB): {plan})", problem.Message);
    }

    [Fact]
    public async Task Dev_zero_as_plan_prompt_file_providers_file_or_input_file_fails_at_once_naming_the_file()
    {
        var prompt = _cli.Plan("""
            name: p
            tasks:
              - id: t
                prompt_file: /dev/zero
            """, "prompt.yaml");
        var plain = _cli.Plan(Cli.Plans.Small);

        var asPlan = await _cli.RunAsync("validate", "/dev/zero");
        var asPrompt = await _cli.RunAsync("validate", prompt);
        var asProviders = await _cli.RunAsync("run", plain, "--providers", "/dev/zero", "--store", "memory");
        var asInput = await _cli.RunAsync("run", plain, "--input", "topic=@/dev/zero", "--store", "memory");

        Assert.Equal("error: cannot read plan file '/dev/zero' (a character device, not a regular file: /dev/zero)\n", asPlan.Error);
        Assert.Equal($"{prompt}:4:18: error: task 't': 'prompt_file': cannot read '/dev/zero' (a character device, not a regular file: /dev/zero)\n", asPrompt.Error);
        Assert.Equal("error: cannot read providers file '/dev/zero' (a character device, not a regular file: /dev/zero)\n", asProviders.Error);
        Assert.Equal("error: --input topic: cannot read '/dev/zero' (a character device, not a regular file: /dev/zero)\n", asInput.Error);
        Assert.All([asPlan, asPrompt, asProviders, asInput], r => Assert.Equal(2, r.ExitCode));
    }

    [Fact]
    public async Task A_fifo_as_plan_prompt_file_or_providers_file_fails_at_once_instead_of_waiting_for_a_writer()
    {
        var fifo = _cli.FilePath("pipe.yaml");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var prompt = _cli.Plan("name: p\ntasks:\n  - id: t\n    prompt_file: pipe.yaml\n", "prompt.yaml");
        var plain = _cli.Plan(Cli.Plans.Small);

        using var asPlan = FanoutProcess.Start(_cli.Directory, "validate", "pipe.yaml");
        using var asPrompt = FanoutProcess.Start(_cli.Directory, "validate", "prompt.yaml");
        using var asProviders = FanoutProcess.Start(_cli.Directory, "run", plain, "--providers", "pipe.yaml", "--store", "memory");
        var exits = await Task.WhenAll(asPlan.ExitAsync(ProcessTimeout), asPrompt.ExitAsync(ProcessTimeout), asProviders.ExitAsync(ProcessTimeout));

        Assert.All(exits, e => Assert.True(e.ExitCode == 2 && e.Error.Contains($"a FIFO (named pipe), not a regular file: {fifo}"), e.ToString()));
        Assert.StartsWith("prompt.yaml:4:18: error: task 't': 'prompt_file'", exits[1].Error);
    }
}
