using System.Text.Json;
using Fanout.Storage;
using Fanout.Tests.Postgres;
using Microsoft.Extensions.Time.Testing;

namespace Fanout.Tests.Storage;

/// <summary>
/// The behaviour every <see cref="IRunStore"/> must have. Subclass it with a store factory (in-memory, SQLite,
/// PostgreSQL) and the whole suite runs against that implementation. Each test gets a fresh, empty store from
/// <see cref="CreateStoreAsync"/>; <see cref="ReopenAsync"/> returns a store over the same data (a new connection
/// for durable stores; the same instance for in-memory), and <see cref="OpenAnotherAsync"/> a second one open at the
/// same time, as another process would have.
/// </summary>
public abstract class RunStoreContract : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private static readonly RunOwner Alice = new("host-a", 101);
    private static readonly RunOwner Bob = new("host-b", 202);

    /// <summary>The store under test.</summary>
    protected IRunStore Store { get; private set; } = null!;

    /// <summary>The clock stores that take one expire leases by (see <see cref="PassAsync"/>).</summary>
    protected FakeTimeProvider Clock { get; } = new(T0);

    /// <summary>Creates a fresh, empty store.</summary>
    protected abstract Task<IRunStore> CreateStoreAsync();

    /// <summary>Closes <paramref name="store"/> if it is durable and opens a new one over the same data.</summary>
    protected abstract Task<IRunStore> ReopenAsync(IRunStore store);

    /// <summary>A second store over the same data, open alongside <see cref="Store"/> (its own connection).</summary>
    protected abstract Task<IRunStore> OpenAnotherAsync();

    /// <summary>Lets <paramref name="time"/> pass for the store's leases: the injected clock moves on, or (for a store
    /// timed by its database) the leases are moved back by as much.</summary>
    protected virtual Task PassAsync(TimeSpan time)
    {
        Clock.Advance(time);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    /// <inheritdoc />
    public async Task DisposeAsync() => await Store.DisposeAsync();

    protected static RunRecord Run(string id, string plan = "p", DateTimeOffset? at = null, string? status = null) => new()
    {
        RunId = id,
        Plan = plan,
        PlanHash = "h-" + plan,
        PlanText = "name: " + plan,
        InputsJson = """{"a":1}""",
        Status = status ?? RunStatuses.Running,
        StartedAt = at ?? T0,
    };

    protected static InstanceRecord Instance(string run, string id, TaskState state, string? result = null, int? index = null) => new()
    {
        RunId = run,
        InstanceId = index is { } i ? $"{id}[{i}]" : id,
        TaskId = id,
        ItemIndex = index,
        DefinitionHash = "d-" + id,
        State = state,
        ResultJson = result,
        UpdatedAt = T0,
    };

    private static JournalBatch Batch(params object[] rows)
    {
        var batch = new JournalBatch();
        foreach (var row in rows)
        {
            switch (row)
            {
                case RunRecord r: batch.Runs.Add(r); break;
                case InstanceRecord i: batch.Instances.Add(i); break;
                case AttemptRecord a: batch.Attempts.Add(a); break;
                case EventRecord e: batch.Events.Add(e); break;
                case CacheEntry c: batch.Cache.Add(c); break;
            }
        }

        return batch;
    }

    [StoreFact]
    public async Task Unknown_run_is_null()
    {
        Assert.Null(await Store.GetRunAsync("nope"));
        Assert.Null(await Store.LoadAsync("nope"));
    }

    [StoreFact]
    public async Task Run_row_round_trips_every_field()
    {
        var run = Run("r1") with { PlanPath = "/x/plan.yaml", FinishedAt = T0.AddSeconds(3), Status = "succeeded", CostUsd = 1.25m };
        await Store.AppendAsync(Batch(run));
        Store = await ReopenAsync(Store);
        Assert.Equal(run, await Store.GetRunAsync("r1"));
    }

    [StoreFact]
    public async Task Rows_are_upserted_by_key()
    {
        await Store.AppendAsync(Batch(Run("r1"), Instance("r1", "a", TaskState.Running)));
        await Store.AppendAsync(Batch(Run("r1", status: "failed"), Instance("r1", "a", TaskState.Failed) with { Error = "boom" }));
        var journal = await Store.LoadAsync("r1");
        Assert.Equal("failed", journal!.Run.Status);
        var instance = Assert.Single(journal.Instances);
        Assert.Equal(TaskState.Failed, instance.State);
        Assert.Equal("boom", instance.Error);
    }

    [StoreFact]
    public async Task Instances_and_attempts_load_with_every_field()
    {
        var item = Instance("r1", "fan", TaskState.Succeeded, """{"output":"x"}""", index: 2);
        var attempt = new AttemptRecord
        {
            RunId = "r1", InstanceId = "fan[2]", Attempt = 1, StartedAt = T0, FinishedAt = T0.AddMilliseconds(1500),
            Outcome = AttemptOutcome.Succeeded, Tokens = new TokenUsage(10, 20, 3), CostUsd = 0.0123m, KeyAlias = "main", CacheHit = true,
        };
        var failed = attempt with { Attempt = 2, Outcome = AttemptOutcome.Failed, Error = "bad", Tokens = null, CostUsd = null, KeyAlias = null, CacheHit = false, FinishedAt = null };
        await Store.AppendAsync(Batch(Run("r1"), item, failed, attempt));
        Store = await ReopenAsync(Store);
        var journal = await Store.LoadAsync("r1");
        Assert.Equal(item, Assert.Single(journal!.Instances));
        Assert.Equal([attempt, failed], journal.Attempts.ToArray());
    }

    [StoreFact]
    public async Task Large_results_round_trip_through_content_addressed_storage()
    {
        var big = JsonSerializer.Serialize(new { output = new string('x', OutputBlobs.InlineLimit * 3) });
        await Store.AppendAsync(Batch(Run("r1"), Instance("r1", "a", TaskState.Succeeded, big), Instance("r1", "b", TaskState.Succeeded, big)));
        Store = await ReopenAsync(Store);
        var journal = await Store.LoadAsync("r1");
        Assert.All(journal!.Instances, i => Assert.Equal(big, i.ResultJson));
    }

    [StoreFact]
    public async Task Runs_list_newest_first_and_filter_by_plan()
    {
        await Store.AppendAsync(Batch(Run("r1", "p", T0), Run("r2", "q", T0.AddMinutes(1)), Run("r3", "p", T0.AddMinutes(2))));
        Assert.Equal(["r3", "r2", "r1"], (await Store.ListRunsAsync(new RunQuery())).Select(r => r.RunId));
        Assert.Equal(["r3", "r1"], (await Store.ListRunsAsync(new RunQuery { Plan = "p" })).Select(r => r.RunId));
        Assert.Equal(["r3"], (await Store.ListRunsAsync(new RunQuery { Limit = 1 })).Select(r => r.RunId));
    }

    [StoreFact]
    public async Task Events_read_back_in_append_order_per_run()
    {
        var events = Enumerable.Range(0, 5).Select(i => new EventRecord
        {
            RunId = "r1", At = T0.AddSeconds(5 - i), Type = RunEventKind.TaskState, InstanceId = $"t{i}", DataJson = $$"""{"i":{{i}}}""",
        }).ToArray<object>();
        await Store.AppendAsync(Batch([Run("r1"), Run("r2"), .. events[..3]]));
        await Store.AppendAsync(Batch([.. events[3..], new EventRecord { RunId = "r2", Type = RunEventKind.RunStarted }]));
        Store = await ReopenAsync(Store);
        Assert.Equal(events, await Store.ReadEventsAsync("r1"));
        Assert.Equal(RunEventKind.RunStarted, Assert.Single(await Store.ReadEventsAsync("r2")).Type);
    }

    [StoreFact]
    public async Task Cache_entries_are_found_by_key_and_replaced_on_put()
    {
        var entry = new CacheEntry { Key = "k1", ResultJson = """{"output":1}""", CostUsd = 0.5m, Tokens = new TokenUsage(1, 2), CreatedAt = T0 };
        await Store.AppendAsync(Batch(entry));
        Store = await ReopenAsync(Store);
        Assert.Equal(entry, await Store.GetCachedAsync("k1"));
        Assert.Null(await Store.GetCachedAsync("k2"));
        var replaced = entry with { ResultJson = """{"output":2}""", CostUsd = null, Tokens = null };
        await Store.AppendAsync(Batch(replaced));
        Assert.Equal(replaced, await Store.GetCachedAsync("k1"));
    }

    [StoreFact]
    public async Task Large_cached_results_round_trip()
    {
        var entry = new CacheEntry { Key = "k", ResultJson = JsonSerializer.Serialize(new string('y', OutputBlobs.InlineLimit * 2)), CreatedAt = T0 };
        await Store.AppendAsync(Batch(entry));
        Store = await ReopenAsync(Store);
        Assert.Equal(entry, await Store.GetCachedAsync("k"));
    }

    [StoreFact]
    public async Task A_large_batch_is_written_whole()
    {
        var batch = Batch(Run("r1"));
        for (var i = 0; i < 2000; i++)
        {
            batch.Instances.Add(Instance("r1", $"t{i}", TaskState.Succeeded, $$"""{"output":{{i}}}"""));
            batch.Attempts.Add(new AttemptRecord { RunId = "r1", InstanceId = $"t{i}", Attempt = 1, StartedAt = T0, Outcome = AttemptOutcome.Succeeded });
        }

        await Store.AppendAsync(batch);
        var journal = await Store.LoadAsync("r1");
        Assert.Equal(2000, journal!.Instances.Length);
        Assert.Equal(2000, journal.Attempts.Length);
    }

    [StoreFact]
    public async Task Journals_of_different_runs_are_kept_apart()
    {
        await Store.AppendAsync(Batch(Run("r1"), Run("r2"), Instance("r1", "a", TaskState.Succeeded), Instance("r2", "b", TaskState.Failed)));
        Assert.Equal("a", Assert.Single((await Store.LoadAsync("r1"))!.Instances).InstanceId);
        Assert.Equal("b", Assert.Single((await Store.LoadAsync("r2"))!.Instances).InstanceId);
    }

    private static JournalBatch Under(RunLease lease, params object[] rows)
    {
        var batch = Batch(rows);
        batch.Lease = lease;
        return batch;
    }

    [StoreFact]
    public async Task A_free_run_lease_is_taken_with_epoch_1_and_records_its_owner()
    {
        var claim = await Store.TryTakeLeaseAsync("r1", Alice, Lease);

        Assert.True(claim.Taken);
        Assert.Equal(1, claim.Lease.Epoch);
        Assert.True(claim.Lease.Held);
        Assert.Equal(Lease, claim.Lease.ExpiresAt - claim.Lease.Since);
        Assert.Equal(claim.Lease, await Store.GetLeaseAsync("r1"));
        Assert.Null(await Store.GetLeaseAsync("r2"));
    }

    [StoreFact]
    public async Task A_held_lease_is_not_taken_and_the_claim_names_its_holder()
    {
        var alice = (await Store.TryTakeLeaseAsync("r1", Alice, Lease)).Lease;

        var claim = await Store.TryTakeLeaseAsync("r1", Bob, Lease);

        Assert.False(claim.Taken);
        Assert.Equal(alice, claim.Lease);
        Assert.Equal(Alice, (await Store.GetLeaseAsync("r1"))!.Owner);
    }

    [StoreFact]
    public async Task An_expired_lease_is_taken_with_the_next_epoch()
    {
        await Store.TryTakeLeaseAsync("r1", Alice, Lease);
        await PassAsync(Lease + TimeSpan.FromSeconds(1));

        var claim = await Store.TryTakeLeaseAsync("r1", Bob, Lease);

        Assert.True(claim.Taken);
        Assert.Equal(2, claim.Lease.Epoch);
        Assert.Equal(Bob, claim.Lease.Owner);
    }

    [StoreFact]
    public async Task A_released_lease_is_free_at_once_and_its_epoch_is_not_handed_out_again()
    {
        var alice = (await Store.TryTakeLeaseAsync("r1", Alice, Lease)).Lease;
        await Store.ReleaseLeaseAsync(alice);

        Assert.False((await Store.GetLeaseAsync("r1"))!.Held);
        var claim = await Store.TryTakeLeaseAsync("r1", Bob, Lease);
        Assert.True(claim.Taken);
        Assert.Equal(2, claim.Lease.Epoch);
    }

    [StoreFact]
    public async Task A_lease_whose_holder_is_known_to_be_gone_is_taken_by_naming_its_epoch_and_only_that_epoch()
    {
        var alice = (await Store.TryTakeLeaseAsync("r1", Alice, Lease)).Lease;

        var wrong = await Store.TryTakeLeaseAsync("r1", Bob, Lease, replacing: alice.Epoch + 1);
        var right = await Store.TryTakeLeaseAsync("r1", Bob, Lease, replacing: alice.Epoch);
        var again = await Store.TryTakeLeaseAsync("r1", Alice, Lease, replacing: alice.Epoch);

        Assert.False(wrong.Taken);
        Assert.True(right.Taken);
        Assert.Equal(2, right.Lease.Epoch);
        Assert.False(again.Taken);
        Assert.Equal(Bob, again.Lease.Owner);
    }

    [StoreFact]
    public async Task A_renewed_lease_does_not_expire_when_its_first_term_ends()
    {
        var alice = (await Store.TryTakeLeaseAsync("r1", Alice, Lease)).Lease;
        await PassAsync(TimeSpan.FromSeconds(20));
        var renewed = await Store.RenewLeaseAsync(alice, Lease);
        await PassAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(alice.Epoch, renewed!.Epoch);
        Assert.True(renewed.ExpiresAt > alice.ExpiresAt);
        Assert.False((await Store.TryTakeLeaseAsync("r1", Bob, Lease)).Taken);
    }

    [StoreFact]
    public async Task A_superseded_lease_can_be_neither_renewed_nor_released()
    {
        var alice = (await Store.TryTakeLeaseAsync("r1", Alice, Lease)).Lease;
        await PassAsync(Lease + TimeSpan.FromSeconds(1));
        var bob = (await Store.TryTakeLeaseAsync("r1", Bob, Lease)).Lease;

        Assert.Null(await Store.RenewLeaseAsync(alice, Lease));
        await Store.ReleaseLeaseAsync(alice);
        var current = await Store.GetLeaseAsync("r1");
        Assert.Equal(bob.Epoch, current!.Epoch);
        Assert.True(current.Held);
    }

    [StoreFact]
    public async Task A_batch_written_under_the_current_epoch_is_applied()
    {
        var alice = (await Store.TryTakeLeaseAsync("r1", Alice, Lease)).Lease;

        await Store.AppendAsync(Under(alice, Run("r1"), Instance("r1", "a", TaskState.Succeeded)));

        Assert.Single((await Store.LoadAsync("r1"))!.Instances);
    }

    [StoreFact]
    public async Task A_batch_written_under_a_stale_epoch_is_rejected_and_writes_nothing()
    {
        var alice = (await Store.TryTakeLeaseAsync("r1", Alice, Lease)).Lease;
        await Store.AppendAsync(Under(alice, Run("r1"), Instance("r1", "a", TaskState.Running)));
        await PassAsync(Lease + TimeSpan.FromSeconds(1));
        var bob = (await Store.TryTakeLeaseAsync("r1", Bob, Lease)).Lease;

        var e = await Assert.ThrowsAsync<RunOwnershipLostException>(() => Store.AppendAsync(Under(alice,
            Run("r1", status: "failed"), Instance("r1", "a", TaskState.Failed), Instance("r1", "b", TaskState.Succeeded),
            new EventRecord { RunId = "r1", Type = RunEventKind.TaskState })));

        Assert.Equal(alice, e.Lost);
        Assert.Equal(bob.Epoch, e.Current!.Epoch);
        Assert.Contains("host-b (pid 202)", e.Message, StringComparison.Ordinal);
        var journal = await Store.LoadAsync("r1");
        Assert.Equal(RunStatuses.Running, journal!.Run.Status);
        Assert.Equal(TaskState.Running, Assert.Single(journal.Instances).State);
        Assert.Empty(await Store.ReadEventsAsync("r1"));
    }

    [StoreFact]
    public async Task A_batch_under_a_lease_the_store_never_gave_is_rejected()
    {
        var forged = new RunLease { RunId = "r1", Epoch = 1, Owner = Alice };

        await Assert.ThrowsAsync<RunOwnershipLostException>(() => Store.AppendAsync(Under(forged, Run("r1"))));

        Assert.Null(await Store.GetRunAsync("r1"));
    }

    [StoreFact]
    public async Task Two_stores_on_one_database_taking_a_lease_at_once_give_it_to_exactly_one_taker()
    {
        await using var other = await OpenAnotherAsync();
        var stores = new[] { Store, other };

        var claims = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            Task.Run(() => stores[i % 2].TryTakeLeaseAsync("r1", new RunOwner("host", i), Lease))));

        var winner = Assert.Single(claims, c => c.Taken);
        Assert.All(claims, c => Assert.Equal(winner.Lease.Owner, c.Lease.Owner));
        Assert.Equal(1, winner.Lease.Epoch);
    }

    [StoreFact]
    public async Task A_lease_taken_through_one_store_fences_writes_through_another()
    {
        await using var other = await OpenAnotherAsync();
        var alice = (await Store.TryTakeLeaseAsync("r1", Alice, Lease)).Lease;
        await PassAsync(Lease + TimeSpan.FromSeconds(1));
        await other.TryTakeLeaseAsync("r1", Bob, Lease);

        await Assert.ThrowsAsync<RunOwnershipLostException>(() => Store.AppendAsync(Under(alice, Run("r1"))));
    }
}
