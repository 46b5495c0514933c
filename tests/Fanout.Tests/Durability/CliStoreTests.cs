using System.Text.Json;
using Fanout.Storage;
using Fanout.Storage.Sqlite;
using Fanout.Tests.Cli;

namespace Fanout.Tests.Durability;

/// <summary><c>fanout run --store/--resume/--no-cache</c>, <c>fanout resume</c>, <c>fanout runs</c> and <c>fanout show</c>
/// against real SQLite files.</summary>
public sealed class CliStoreTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    /// <summary>first appends to a file; gate fails until ok.txt exists; last needs both.</summary>
    private const string Gated = """
        name: gated
        defaults:
          retry: { max_attempts: 1 }
        tasks:
          - id: first
            argv: [sh, -c, "echo first >> side.txt; echo one"]
          - id: gate
            argv: [sh, -c, "test -f ok.txt && echo open"]
          - id: last
            needs: [first, gate]
            argv: [sh, -c, "echo done"]
        """;

    private async Task<RunJournal> JournalAsync(string runId, string db = ".fanout/fanout.db")
    {
        await using var store = SqliteRunStore.Open(_cli.FilePath(db));
        return (await store.LoadAsync(runId))!;
    }

    private static string RunId(CliHarness.Result result) => RunReport.FromJson(result.Out).RunId;

    [Fact]
    public async Task A_run_is_journaled_in_the_default_sqlite_file_under_the_working_directory()
    {
        var result = await _cli.RunAsync("run", _cli.Plan(Cli.Plans.Small), "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var journal = await JournalAsync(RunId(result));
        Assert.Equal("succeeded", journal.Run.Status);
        Assert.Equal(["both", "hello", "summary"], journal.Instances.Select(i => i.InstanceId).Order(StringComparer.Ordinal));
        Assert.Equal(File.ReadAllText(_cli.FilePath("plan.yaml")), journal.Run.PlanText);
    }

    [Fact]
    public async Task Run_resume_reruns_only_what_did_not_succeed_and_reuses_the_run_id()
    {
        var plan = _cli.Plan(Gated);
        var failed = await _cli.RunAsync("run", plan, "--json");
        Assert.Equal(1, failed.ExitCode);
        File.WriteAllText(_cli.FilePath("ok.txt"), "");

        var resumed = await _cli.RunAsync("run", plan, "--resume", "--json");

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Equal(RunId(failed), RunId(resumed));
        Assert.Single(File.ReadAllLines(_cli.FilePath("side.txt")));
        var report = RunReport.FromJson(resumed.Out);
        Assert.Equal([AttemptOutcome.Failed, AttemptOutcome.Succeeded], report.Tasks.Single(t => t.Id == "gate").AttemptLog.Select(a => a.Outcome));
    }

    [Fact]
    public async Task The_resume_command_continues_a_run_by_id()
    {
        var failed = await _cli.RunAsync("run", _cli.Plan(Gated), "--json");
        File.WriteAllText(_cli.FilePath("ok.txt"), "");

        var resumed = await _cli.RunAsync("resume", RunId(failed), "--json");

        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Single(File.ReadAllLines(_cli.FilePath("side.txt")));
        Assert.Equal("succeeded", (await JournalAsync(RunId(failed))).Run.Status);
    }

    [Fact]
    public async Task Resuming_an_unknown_run_is_an_input_error()
    {
        var result = await _cli.RunAsync("resume", "nope");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no run 'nope'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resume_without_an_earlier_run_of_the_plan_is_an_input_error()
    {
        var result = await _cli.RunAsync("run", _cli.Plan(Cli.Plans.Small), "--resume");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no earlier run of plan 'small'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_store_can_be_chosen_by_option_or_environment_variable()
    {
        var byOption = await _cli.RunAsync("run", _cli.Plan(Cli.Plans.Small), "--store", "sqlite:a.db", "--json");
        _cli.Environment["FANOUT_STORE"] = "b.db";
        var byEnvironment = await _cli.RunAsync("run", _cli.FilePath("plan.yaml"), "--json");

        Assert.Equal("succeeded", (await JournalAsync(RunId(byOption), "a.db")).Run.Status);
        Assert.Equal("succeeded", (await JournalAsync(RunId(byEnvironment), "b.db")).Run.Status);
        Assert.False(File.Exists(_cli.FilePath(".fanout/fanout.db")));
    }

    [Fact]
    public async Task An_unknown_store_scheme_is_refused_without_showing_its_password()
    {
        var result = await _cli.RunAsync("run", _cli.Plan(Cli.Plans.Small), "--store", "redis://user:hunter2@host/0");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("cannot open the store", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_cache_runs_a_pure_task_again()
    {
        var plan = _cli.Plan("""
            name: pure
            tasks:
              - id: p
                pure: true
                argv: [sh, -c, "echo run >> side.txt; echo out"]
            """);
        await _cli.RunAsync("run", plan);
        var cached = await _cli.RunAsync("run", plan, "--json");
        var uncached = await _cli.RunAsync("run", plan, "--no-cache", "--json");

        Assert.True(RunReport.FromJson(cached.Out).Tasks.Single().CacheHit);
        Assert.Null(RunReport.FromJson(uncached.Out).Tasks.Single().CacheHit);
        Assert.Equal(2, File.ReadAllLines(_cli.FilePath("side.txt")).Length);
    }

    [Fact]
    public async Task A_cache_hit_is_named_in_the_log_line_and_counted_in_the_summary()
    {
        var plan = _cli.Plan("""
            name: pure
            tasks:
              - id: p
                pure: true
                argv: [sh, -c, "echo out"]
            """);
        var first = await _cli.RunAsync("run", plan, "--plain");
        var second = await _cli.RunAsync("run", plan, "--plain");

        Assert.DoesNotContain("from the cache", first.Out);
        Assert.Contains("succeeded p", second.Out);
        Assert.Contains("(from the cache)", second.Out);
        Assert.Contains("1 task from the result cache", second.Out);
    }

    [Fact]
    public async Task Runs_lists_runs_newest_first_with_their_status()
    {
        var failed = await _cli.RunAsync("run", _cli.Plan(Gated), "--json");
        var ok = await _cli.RunAsync("run", _cli.Plan(Cli.Plans.Small, "small.yaml"), "--json");

        var text = await _cli.RunAsync("runs");
        var json = await _cli.RunAsync("runs", "--json");

        Assert.Equal(0, text.ExitCode);
        Assert.Contains(RunId(failed), text.Out, StringComparison.Ordinal);
        var rows = JsonDocument.Parse(json.Out).RootElement.EnumerateArray().Select(r => (r.GetProperty("run_id").GetString(), r.GetProperty("status").GetString())).ToList();
        Assert.Equal([(RunId(ok), "succeeded"), (RunId(failed), "failed")], rows);
    }

    [Fact]
    public async Task Show_prints_each_task_with_its_state_and_attempts()
    {
        var failed = await _cli.RunAsync("run", _cli.Plan(Gated), "--json");

        var shown = await _cli.RunAsync("show", RunId(failed));

        Assert.Equal(0, shown.ExitCode);
        Assert.Matches(@"gate\s+failed\s+failed", shown.Out);
        Assert.Matches(@"first\s+succeeded\s+succeeded", shown.Out);
        Assert.Matches(@"last\s+skipped", shown.Out);
        var json = await _cli.RunAsync("show", RunId(failed), "--json");
        Assert.Equal(3, JsonDocument.Parse(json.Out).RootElement.GetProperty("instances").GetArrayLength());
    }
}
