using System.Text;
using Fanout.Storage;
using Fanout.Storage.Sqlite;
using Fanout.Tests.Cli;

namespace Fanout.Tests.Durability;

/// <summary>
/// One owner per run through the command line: real <c>fanout</c> processes racing for one SQLite file, a second
/// <c>resume</c> refused or waiting, and <c>resume</c> of a run that is already finished.
/// </summary>
public sealed class OwnershipCliTests : IDisposable
{
    private const int Tasks = 150;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    private string Db => _cli.FilePath("fanout.db");

    private string Go => _cli.FilePath("go");

    /// <summary>gate waits until the file <c>go</c> exists; then <paramref name="tasks"/> tasks, each appending its id
    /// to side.txt once per run of it.</summary>
    private string GatedPlan(int tasks)
    {
        var yaml = new StringBuilder($"""
            name: owned
            concurrency: 8
            defaults:
              retry: {"{ max_attempts: 1 }"}
            tasks:
              - id: gate
                argv: [sh, -c, 'while [ ! -f "$1" ]; do sleep 0.02; done', fanout, "{Go}"]

            """);
        for (var i = 0; i < tasks; i++)
        {
            yaml.AppendLine($"""  - {"{"} id: t{i:000}, needs: [gate], argv: [sh, -c, 'echo "$1" >> "$2"', fanout, t{i:000}, "{_cli.FilePath("side.txt")}"] {"}"}""");
        }

        return _cli.Plan(yaml.ToString());
    }

    private FanoutProcess Fanout(params string[] args) => FanoutProcess.Start(_cli.Directory, [.. args, "--store", "sqlite:" + Db, "--plain"]);

    /// <summary>Starts the plan in a real process and SIGKILLs it while gate runs: a run left <c>running</c>, its lease
    /// held by a process that no longer exists.</summary>
    private async Task<string> CrashedRunAsync(string plan)
    {
        using var first = Fanout("run", plan, "--out", "out");
        await first.LineAsync(l => l.Contains("started gate", StringComparison.Ordinal), Patience);
        await first.KillAsync();
        await using var store = SqliteRunStore.Open(Db);
        return Assert.Single(await store.ListRunsAsync(new RunQuery())).RunId;
    }

    private async Task<RunJournal> JournalAsync(string runId)
    {
        await using var store = SqliteRunStore.Open(Db);
        return (await store.LoadAsync(runId))!;
    }

    [Fact]
    public async Task Two_resumes_started_together_one_drives_the_run_the_other_exits_2_naming_it_and_every_task_runs_once()
    {
        var runId = await CrashedRunAsync(GatedPlan(Tasks));

        using var a = Fanout("resume", runId, "--out", "out");
        using var b = Fanout("resume", runId, "--out", "out");
        var (aExited, bExited) = (a.WaitAsync(Patience), b.WaitAsync(Patience));
        var (loser, winner) = await Task.WhenAny(aExited, bExited) == aExited ? (a, b) : (b, a);
        var refused = await loser.ExitAsync(Patience);
        File.WriteAllText(Go, "");
        var drove = await winner.ExitAsync(Patience);

        Assert.True(refused.ExitCode == 2, refused.ToString());
        var line = Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"run {runId} is being driven by {Environment.MachineName} (pid {winner.Id}) since ", line, StringComparison.Ordinal);
        Assert.True(drove.ExitCode == 0, drove.ToString());
        var journal = await JournalAsync(runId);
        Assert.Equal("succeeded", journal.Run.Status);
        Assert.Equal([AttemptOutcome.Lost, AttemptOutcome.Succeeded], journal.Attempts.Where(x => x.InstanceId == "gate").Select(x => x.Outcome));
        var attempts = journal.Attempts.Where(x => x.InstanceId != "gate").ToList();
        Assert.Equal(Tasks, attempts.Count);
        Assert.All(attempts, x => Assert.Equal((1, AttemptOutcome.Succeeded), (x.Attempt, x.Outcome)));
        var side = File.ReadAllLines(_cli.FilePath("side.txt"));
        Assert.Equal(Tasks, side.Length);
        Assert.Equal(Tasks, side.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task A_resume_with_wait_says_who_drives_the_run_waits_for_it_and_then_finds_it_finished()
    {
        var plan = GatedPlan(3);
        using var owner = Fanout("run", plan, "--out", "out");
        await owner.LineAsync(l => l.Contains("started gate", StringComparison.Ordinal), Patience);
        await using (var store = SqliteRunStore.Open(Db))
        {
            var runId = Assert.Single(await store.ListRunsAsync(new RunQuery())).RunId;
            using var waiter = Fanout("resume", runId, "--wait", "--out", "out");

            var waiting = await waiter.LineAsync(l => l.StartsWith("waiting for run", StringComparison.Ordinal), Patience);
            File.WriteAllText(Go, "");
            var done = await waiter.ExitAsync(Patience);

            Assert.Contains($"it is being driven by {Environment.MachineName} (pid {owner.Id}) since ", waiting, StringComparison.Ordinal);
            Assert.True(done.ExitCode == 0, done.ToString());
            Assert.Contains($"run {runId} already finished: succeeded", done.Out, StringComparison.Ordinal);
            Assert.Equal(0, (await owner.ExitAsync(Patience)).ExitCode);
            Assert.Single((await store.LoadAsync(runId))!.Attempts, x => x.InstanceId == "gate");
        }
    }

    [Fact]
    public async Task A_run_another_process_drives_is_refused_with_exit_2_and_one_line_naming_the_owner()
    {
        var plan = _cli.Plan(Cli.Plans.Failing);
        var runId = RunReport.FromJson((await _cli.RunAsync("run", plan, "--store", "sqlite:" + Db, "--json")).Out).RunId;
        await using (var store = SqliteRunStore.Open(Db))
        {
            // Another machine resumes the failed run.
            await store.TryTakeLeaseAsync(runId, new RunOwner("other-host", 4242), RunLease.DefaultDuration);
        }

        var resume = await _cli.RunAsync("resume", runId, "--store", "sqlite:" + Db);
        var rerun = await _cli.RunAsync("run", plan, "--resume", runId, "--store", "sqlite:" + Db);

        foreach (var refused in new[] { resume, rerun })
        {
            Assert.True(refused.ExitCode == 2, refused.ToString());
            var line = Assert.Single(refused.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"error: run {runId} is being driven by other-host (pid 4242) since ", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Show_names_the_process_driving_a_run()
    {
        var runId = RunReport.FromJson((await _cli.RunAsync("run", _cli.Plan(Cli.Plans.Failing), "--store", "sqlite:" + Db, "--json")).Out).RunId;
        var before = await _cli.RunAsync("show", runId, "--store", "sqlite:" + Db);
        await using (var store = SqliteRunStore.Open(Db))
        {
            await store.TryTakeLeaseAsync(runId, new RunOwner("other-host", 4242), RunLease.DefaultDuration);
        }

        var shown = await _cli.RunAsync("show", runId, "--store", "sqlite:" + Db);

        Assert.DoesNotContain("owner", before.Out, StringComparison.Ordinal);
        Assert.Matches(@"owner\s+other-host \(pid 4242\) since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\n", shown.Out);
    }

    [Fact]
    public async Task Resuming_a_run_that_succeeded_prints_its_status_and_leaves_its_files_and_journal_as_they_were()
    {
        var plan = _cli.Plan(Cli.Plans.Small);
        var runId = RunReport.FromJson((await _cli.RunAsync("run", plan, "--store", "sqlite:" + Db, "--out", "out", "--json")).Out).RunId;
        var files = Snapshot();
        var (journal, events, lease) = await StoredAsync(runId);

        var resume = await _cli.RunAsync("resume", runId, "--store", "sqlite:" + Db, "--out", "out");
        var rerun = await _cli.RunAsync("run", plan, "--resume", "--store", "sqlite:" + Db, "--out", "out");

        foreach (var result in new[] { resume, rerun })
        {
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.Equal($"run {runId} already finished: succeeded; nothing to resume", result.Out.Trim());
        }

        Assert.Equal(files, Snapshot());
        var (journalAfter, eventsAfter, leaseAfter) = await StoredAsync(runId);
        Assert.Equal(journal.Run, journalAfter.Run);
        Assert.Equal(journal.Attempts.ToArray(), journalAfter.Attempts.ToArray());
        Assert.Equal(events, eventsAfter);
        Assert.Equal(lease, leaseAfter);
    }

    [Fact]
    public async Task Resuming_a_run_whose_budget_ran_out_changes_nothing_and_exits_1_unless_given_a_larger_budget()
    {
        var plan = _cli.Plan(Budget.BudgetCliTests.Images);
        var first = await _cli.RunAsync("run", plan, "--store", "sqlite:" + Db, "--out", "out", "--json", "--budget-usd", "0.01");
        var runId = RunReport.FromJson(first.Out).RunId;
        var files = Snapshot();

        var resume = await _cli.RunAsync("resume", runId, "--store", "sqlite:" + Db, "--out", "out");
        var unchanged = Snapshot();
        var larger = await _cli.RunAsync("run", plan, "--resume", runId, "--store", "sqlite:" + Db, "--out", "out", "--json", "--budget-usd", "1");

        Assert.True(resume.ExitCode == 1, resume.ToString());
        Assert.StartsWith($"run {runId} already finished: budget_exhausted (it spent $0.01", resume.Out, StringComparison.Ordinal);
        Assert.Equal(files, unchanged);
        Assert.True(larger.ExitCode == 0, larger.ToString());
        Assert.Equal(RunStatus.Succeeded, RunReport.FromJson(larger.Out).Status);
    }

    /// <summary>Every file under out/ with its bytes.</summary>
    private SortedDictionary<string, string> Snapshot() => new(
        Directory.EnumerateFiles(_cli.FilePath("out"), "*", SearchOption.AllDirectories)
            .ToDictionary(f => f, f => Convert.ToBase64String(File.ReadAllBytes(f)), StringComparer.Ordinal),
        StringComparer.Ordinal);

    private async Task<(RunJournal Journal, int Events, RunLease? Lease)> StoredAsync(string runId)
    {
        await using var store = SqliteRunStore.Open(Db);
        return ((await store.LoadAsync(runId))!, (await store.ReadEventsAsync(runId)).Count, await store.GetLeaseAsync(runId));
    }
}
