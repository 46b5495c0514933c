using System.Text.Json;
using Fanout.Storage;
using Fanout.Time;
using Fanout.Tests.Support;

namespace Fanout.Tests.Events;

/// <summary>The scheduler publishes numbered events to a stream that any number of readers follow; none can slow the
/// run, and the journal holds every event before anyone reads it.</summary>
public sealed class RunEventStreamTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static PlanDefinition Chain(int count)
    {
        var plan = new PlanBuilder("stream");
        for (var i = 0; i < count; i++)
        {
            plan = i == 0 ? plan.Task($"t{i}", Sim.Work(100)) : plan.Task($"t{i}", Sim.Work(100), $"t{i - 1}");
        }

        return plan.Build();
    }

    private static List<RunEvent> Drain(RunEventSubscription subscription)
    {
        var events = new List<RunEvent>();
        while (subscription.Reader.TryRead(out var e))
        {
            events.Add(e);
        }

        return events;
    }

    [Fact]
    public void Events_are_numbered_from_one_without_gaps_in_publication_order()
    {
        var (_, events) = Sim.Run(Chain(3));

        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.IsType<RunStarted>(events[0]);
        Assert.IsType<RunFinished>(events[^1]);
    }

    [Fact]
    public void A_subscriber_that_never_reads_does_not_slow_the_run_and_a_bounded_one_counts_what_it_dropped()
    {
        var (alone, all) = Sim.Run(Chain(5));
        var stream = new RunEventStream();
        using var stuck = stream.Subscribe(capacity: 3);
        using var lossless = stream.Subscribe();
        var (watched, _) = Sim.Run(Chain(5), configure: o => o with { Events = stream });

        Assert.Equal(alone.MakespanMs, watched.MakespanMs);
        Assert.Equal(all.Count - 3, stuck.Dropped);
        Assert.Equal(all.TakeLast(3).Select(e => e.Sequence), Drain(stuck).Select(e => e.Sequence));
        Assert.Equal(all.Count, Drain(lossless).Count);
    }

    [Fact]
    public void A_subscriber_that_takes_a_virtual_second_per_event_does_not_slow_the_run()
    {
        var clock = new VirtualClock();
        var stream = new RunEventStream();
        var read = new List<long>();
        async Task SlowReader()
        {
            await foreach (var e in stream.Subscribe().ReadAllAsync())
            {
                await Task.Delay(TimeSpan.FromSeconds(1), clock);
                read.Add(e.Sequence);
            }
        }

        var (alone, all) = Sim.Run(Chain(4));
        var report = VirtualTime.Run(clock, async () =>
        {
            var reader = SlowReader();
            var scheduler = new Scheduler(TaskGraph.Compile(Chain(4)), new RunOptions { Time = clock, Seed = 1, RunId = "test", Events = stream, Executors = Sim.Executors });
            var result = await scheduler.RunAsync();
            await reader;
            return result;
        });

        Assert.Equal(alone.MakespanMs, report.MakespanMs);
        Assert.Equal(all.Select(e => e.Sequence), read);
    }

    [Fact]
    public void Replay_from_sequence_n_then_follow_loses_and_repeats_nothing()
    {
        var stream = new RunEventStream();
        for (var i = 1; i <= 10; i++)
        {
            stream.Publish(new FanoutExpanded(T0, "f", i) { Sequence = i });
        }

        using var fromFour = stream.Subscribe(after: 4);
        for (var i = 11; i <= 20; i++)
        {
            stream.Publish(new FanoutExpanded(T0, "f", i) { Sequence = i });
        }

        stream.Complete();
        using var late = stream.Subscribe(after: 18);

        Assert.Equal(Enumerable.Range(5, 16).Select(i => (long)i), Drain(fromFour).Select(e => e.Sequence));
        Assert.True(fromFour.Reader.Completion.IsCompleted);
        Assert.Equal([19L, 20L], Drain(late).Select(e => e.Sequence));
    }

    [Fact]
    public void An_event_out_of_order_is_refused()
    {
        var stream = new RunEventStream(lastSequence: 7);

        Assert.Throws<ArgumentException>(() => stream.Publish(new FanoutExpanded(T0, "f", 1) { Sequence = 9 }));
        stream.Publish(new FanoutExpanded(T0, "f", 1) { Sequence = 8 });
        Assert.Equal(8, stream.LastSequence);
    }

    [Fact]
    public async Task The_journal_receives_every_event_the_stream_publishes()
    {
        var store = new InMemoryRunStore();
        var plan = new PlanBuilder("j").Add(Sim.Def("a", Sim.Flaky(1, 10)) with { Retry = new RetryPolicy { MaxAttempts = 2, Jitter = false } })
            .Task("b", Sim.Work(10), "a").Build();

        var (_, events) = Sim.Run(plan, configure: o => o with { Store = store });
        var journaled = await store.ReadEventsAsync("test");

        Assert.Equal(events.Select(e => (e.Sequence, e.EventKind)), journaled.Select(j => (SequenceOf(j), j.Type)));
        Assert.Contains(journaled, j => j.Type == RunEventKind.TaskRetrying);
        Assert.Contains(journaled, j => j.Type == RunEventKind.TaskState && j.InstanceId == "b");
    }

    [Fact]
    public void No_event_is_published_before_the_journal_batch_that_holds_it_is_written()
    {
        var stream = new RunEventStream();
        var store = new WatchingStore(new InMemoryRunStore(), stream);
        var plan = new PlanBuilder("j").Task("a", Sim.Work(10)).Task("b", Sim.Work(10), "a").Build();

        Sim.Run(plan, configure: o => o with { Store = store, Events = stream });

        Assert.True(store.Batches > 2);
        Assert.Empty(store.SeenEarly);
        Assert.Equal(store.LastJournaled, stream.LastSequence);
    }

    [Fact]
    public async Task A_local_host_run_is_read_from_the_start_cancelled_and_resumed_with_its_numbering_continued()
    {
        var store = new InMemoryRunStore();
        var host = new LocalRunHost();
        var gate = new TaskCompletionSource();
        var plan = new PlanBuilder("h").Task("a", Sim.Work(1)).Task("b", async (_, token) =>
        {
            gate.TrySetResult();
            await Task.Delay(Timeout.Infinite, token);
            return null;
        }, "a").Build();
        var request = new RunRequest(TaskGraph.Compile(plan), new RunOptions { RunId = "r", Store = store, Executors = Sim.Executors });

        var handle = await host.StartAsync(request);
        Assert.Same(handle, host.Find("r"));
        await gate.Task;
        handle.Cancel();
        var cancelled = await handle.Completion;
        var first = new List<RunEvent>();
        await foreach (var e in handle.ReadEventsAsync())
        {
            first.Add(e);
        }

        Assert.Equal(RunStatus.Cancelled, cancelled.Status);
        Assert.Null(host.Find("r"));
        Assert.Equal(first.Count, first[^1].Sequence);

        var done = new PlanBuilder("h").Task("a", Sim.Work(1)).Task("b", Sim.Work(1), "a").Build();
        var resumed = await host.ResumeAsync(request with { Graph = TaskGraph.Compile(done) }, (await store.LoadAsync("r"))!);
        var report = await resumed.Completion;
        var second = new List<RunEvent>();
        await foreach (var e in resumed.ReadEventsAsync(after: first.Count))
        {
            second.Add(e);
        }

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(first.Count + 1, second[0].Sequence);
        Assert.Equal(Enumerable.Range(1, first.Count + second.Count).Select(i => (long)i),
            (await store.ReadEventsAsync("r")).Select(SequenceOf));
    }

    private static long SequenceOf(EventRecord record) =>
        JsonDocument.Parse(record.DataJson!).RootElement.GetProperty("sequence").GetInt64();

    /// <summary>A store that notes, at each write, whether the stream has already published any event of the batch.</summary>
    private sealed class WatchingStore(IRunStore inner, RunEventStream stream) : IRunStore
    {
        public List<long> SeenEarly { get; } = [];

        public int Batches { get; private set; }

        public long LastJournaled { get; private set; }

        public Task AppendAsync(JournalBatch batch, CancellationToken cancellationToken = default)
        {
            Batches++;
            foreach (var e in batch.Events)
            {
                var sequence = SequenceOf(e);
                LastJournaled = Math.Max(LastJournaled, sequence);
                if (sequence <= stream.LastSequence)
                {
                    SeenEarly.Add(sequence);
                }
            }

            return inner.AppendAsync(batch, cancellationToken);
        }

        public Task<RunRecord?> GetRunAsync(string runId, CancellationToken cancellationToken = default) => inner.GetRunAsync(runId, cancellationToken);

        public Task<IReadOnlyList<RunRecord>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken = default) => inner.ListRunsAsync(query, cancellationToken);

        public Task<RunJournal?> LoadAsync(string runId, CancellationToken cancellationToken = default) => inner.LoadAsync(runId, cancellationToken);

        public Task<IReadOnlyList<EventRecord>> ReadEventsAsync(string runId, CancellationToken cancellationToken = default) => inner.ReadEventsAsync(runId, cancellationToken);

        public Task<LeaseClaim> TryTakeLeaseAsync(string runId, RunOwner owner, TimeSpan duration, long? replacing = null, CancellationToken cancellationToken = default) =>
            inner.TryTakeLeaseAsync(runId, owner, duration, replacing, cancellationToken);

        public Task<RunLease?> RenewLeaseAsync(RunLease lease, TimeSpan duration, CancellationToken cancellationToken = default) => inner.RenewLeaseAsync(lease, duration, cancellationToken);

        public Task ReleaseLeaseAsync(RunLease lease, CancellationToken cancellationToken = default) => inner.ReleaseLeaseAsync(lease, cancellationToken);

        public Task<RunLease?> GetLeaseAsync(string runId, CancellationToken cancellationToken = default) => inner.GetLeaseAsync(runId, cancellationToken);

        public Task<CacheEntry?> GetCachedAsync(string key, CancellationToken cancellationToken = default) => inner.GetCachedAsync(key, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
