using System.Diagnostics;
using Fanout.Cli.Storage;
using Fanout.Storage;
using Fanout.Storage.Sqlite;
using Fanout.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.Tests.Durability;

/// <summary>
/// One owner per run: the lease a driver takes, renews on its clock and releases, and what happens to a driver that
/// crashes, stalls past its lease or is taken over — two stores on one SQLite file stand for two processes, each with
/// its own manual clock (a frozen clock is a process that stopped renewing).
/// </summary>
public sealed class OwnershipTests : IAsyncLifetime, IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 1, 15, 0, TimeSpan.Zero);
    private static readonly RunOwner Alice = new("host-a", 101);
    private static readonly RunOwner Bob = new("host-b", 202);
    private readonly string _directory = Directory.CreateTempSubdirectory("fanout-owner-").FullName;
    private readonly FakeTimeProvider _aliceClock = new(T0);
    private readonly FakeTimeProvider _bobClock = new(T0);
    private readonly TaskCompletionSource _hung = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, int> _runs = new(StringComparer.Ordinal);
    private SqliteRunStore _alice = null!;
    private SqliteRunStore _bob = null!;
    private bool _hangs = true;

    public Task InitializeAsync()
    {
        var path = Path.Combine(_directory, "fanout.db");
        _alice = SqliteRunStore.Open(path, time: _aliceClock);
        _bob = SqliteRunStore.Open(path, time: _bobClock);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _alice.DisposeAsync();
        await _bob.DisposeAsync();
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>a, then b (which hangs on its first run until woken, or until cancelled), then c.</summary>
    private PlanDefinition Plan() => new PlanBuilder("owned")
        .Task("a", Counted((_, _) => ValueTask.FromResult<object?>("A")))
        .Task("b", Counted(async (_, ct) =>
        {
            if (_hangs)
            {
                _hung.TrySetResult();
                await _wake.Task.WaitAsync(ct);
            }

            return "B";
        }), "a")
        .Task("c", Counted((_, _) => ValueTask.FromResult<object?>("C")), "b")
        .Build();

    private Func<TaskContext, CancellationToken, ValueTask<object?>> Counted(Func<TaskContext, CancellationToken, ValueTask<object?>> work) =>
        (ctx, ct) =>
        {
            lock (_runs)
            {
                _runs[ctx.InstanceId] = _runs.GetValueOrDefault(ctx.InstanceId) + 1;
            }

            return work(ctx, ct);
        };

    private static async Task<RunOwnership> TakeAsync(IRunStore store, RunOwner owner, TimeProvider clock)
    {
        var claim = await RunOwnership.TryTakeAsync(store, "r", owner);
        Assert.True(claim.Taken, $"held by {claim.Lease.Describe()}");
        return new RunOwnership(store, claim.Lease, clock);
    }

    /// <summary>Alice drives the run until b hangs, and is then left as a crash leaves a process: not renewing.</summary>
    private async Task<(Task<RunReport> Run, RunOwnership Ownership)> AliceHangsAsync()
    {
        var ownership = await TakeAsync(_alice, Alice, _aliceClock);
        var run = new Scheduler(TaskGraph.Compile(Plan()), new RunOptions { Store = _alice, Ownership = ownership, RunId = "r" }).RunAsync();
        await _hung.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return (run, ownership);
    }

    private async Task<RunReport> BobResumesAsync(RunOwnership ownership) =>
        await new Scheduler(TaskGraph.Compile(Plan()), new RunOptions
        {
            Store = _bob, Ownership = ownership, Resume = await _bob.LoadAsync("r"),
        }).RunAsync();

    [Fact]
    public async Task A_crashed_owners_run_is_refused_until_its_lease_expires_then_taken_and_its_lost_attempt_recorded()
    {
        var (alice, _) = await AliceHangsAsync();
        _hangs = false;

        var refused = await RunOwnership.TryTakeAsync(_bob, "r", Bob);
        _bobClock.Advance(RunLease.DefaultDuration);
        var taken = await RunOwnership.TryTakeAsync(_bob, "r", Bob);
        await using var bob = new RunOwnership(_bob, taken.Lease, _bobClock);
        var report = await BobResumesAsync(bob);

        Assert.False(refused.Taken);
        Assert.Equal(Alice, refused.Lease.Owner);
        Assert.True(taken.Taken);
        Assert.Equal(2, taken.Lease.Epoch);
        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal([AttemptOutcome.Lost, AttemptOutcome.Succeeded], report.Row("b").AttemptLog.Select(a => a.Outcome));
        Assert.Equal((1, 2, 1), (_runs["a"], _runs["b"], _runs["c"]));
        _wake.SetResult();
        await Assert.ThrowsAsync<RunOwnershipLostException>(() => alice);
    }

    [Fact]
    public async Task A_stalled_owner_that_wakes_after_a_takeover_stops_without_writing_and_names_who_took_over()
    {
        var (alice, _) = await AliceHangsAsync();
        _hangs = false;
        _bobClock.Advance(RunLease.DefaultDuration);
        await using var bob = await TakeAsync(_bob, Bob, _bobClock);
        await BobResumesAsync(bob);
        var journal = await _bob.LoadAsync("r");
        var events = (await _bob.ReadEventsAsync("r")).Count;

        _wake.SetResult();
        var lost = await Assert.ThrowsAsync<RunOwnershipLostException>(() => alice);

        Assert.Equal(1, lost.Lost.Epoch);
        Assert.Equal(Bob, lost.Current!.Owner);
        var after = await _bob.LoadAsync("r");
        Assert.Equal(journal!.Run, after!.Run);
        Assert.Equal(journal.Attempts.ToArray(), after.Attempts.ToArray());
        Assert.Equal(journal.Instances.OrderBy(i => i.InstanceId, StringComparer.Ordinal), after.Instances.OrderBy(i => i.InstanceId, StringComparer.Ordinal));
        Assert.Equal(events, (await _bob.ReadEventsAsync("r")).Count);
        Assert.Equal(1, _runs["c"]);
    }

    [Fact]
    public async Task An_owner_whose_renewal_finds_the_run_taken_over_cancels_its_attempts_and_stops()
    {
        var (alice, ownership) = await AliceHangsAsync();
        await _bob.TryTakeLeaseAsync("r", Bob, RunLease.DefaultDuration, replacing: ownership.Lease.Epoch);

        _aliceClock.Advance(RunLease.DefaultDuration / 3);

        var lost = await Assert.ThrowsAsync<RunOwnershipLostException>(() => alice.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(ownership.Lost.IsCancellationRequested);
        Assert.Equal(Bob, lost.Current!.Owner);
        Assert.False(_runs.ContainsKey("c"));
        Assert.Equal(AttemptOutcome.Running, (await _bob.LoadAsync("r"))!.Attempts.Single(a => a.InstanceId == "b").Outcome);
    }

    [Fact]
    public async Task The_owner_renews_its_lease_every_third_of_its_length_while_it_holds_it()
    {
        await using var alice = await TakeAsync(_alice, Alice, _aliceClock);

        for (var i = 0; i < 4; i++)
        {
            _aliceClock.Advance(RunLease.DefaultDuration / 3);
            _bobClock.Advance(RunLease.DefaultDuration / 3);
        }

        Assert.Equal(T0 + (4 * RunLease.DefaultDuration / 3) + RunLease.DefaultDuration, (await _bob.GetLeaseAsync("r"))!.ExpiresAt);
        Assert.False((await RunOwnership.TryTakeAsync(_bob, "r", Bob)).Taken);
    }

    [Fact]
    public async Task Disposing_the_ownership_releases_the_lease_for_the_next_owner_at_once()
    {
        var alice = await TakeAsync(_alice, Alice, _aliceClock);

        await alice.DisposeAsync();

        var bob = await RunOwnership.TryTakeAsync(_bob, "r", Bob);
        Assert.True(bob.Taken);
        Assert.Equal(2, bob.Lease.Epoch);
    }

    [Fact]
    public async Task A_lease_held_by_a_process_of_this_machine_that_is_gone_is_taken_at_once()
    {
        using var gone = Process.Start(new ProcessStartInfo("true"))!;
        await gone.WaitForExitAsync();
        await _alice.TryTakeLeaseAsync("r", new RunOwner(Environment.MachineName, gone.Id), RunLease.DefaultDuration);

        var claim = await RunOwnership.TryTakeAsync(_bob, "r", Bob, LocalOwners.IsGone);

        Assert.True(claim.Taken);
        Assert.Equal(2, claim.Lease.Epoch);
    }

    [Fact]
    public async Task A_lease_held_by_a_live_process_of_this_machine_is_not_taken()
    {
        // Process 1 (init) outlives every test.
        await _alice.TryTakeLeaseAsync("r", new RunOwner(Environment.MachineName, 1), RunLease.DefaultDuration);

        var claim = await RunOwnership.TryTakeAsync(_bob, "r", Bob, LocalOwners.IsGone);

        Assert.False(claim.Taken);
        Assert.Equal(1, claim.Lease.Owner.ProcessId);
    }

    [Fact]
    public async Task A_scheduler_refuses_a_lease_of_another_run()
    {
        await using var alice = await TakeAsync(_alice, Alice, _aliceClock);

        Assert.Throws<ArgumentException>(() => new Scheduler(TaskGraph.Compile(Plan()), new RunOptions { Store = _alice, Ownership = alice, RunId = "other" }));
    }
}
