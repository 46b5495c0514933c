using System.Collections.Concurrent;
using System.Text.Json;
using Fanout.Storage.Postgres.Distributed;

namespace Fanout.Tests.Postgres;

/// <summary>The distributed engine against a real PostgreSQL: workers in this process, coordinating only through the
/// database.</summary>
public sealed class DistributedWorkerTests
{
    private static string Independent(int count) =>
        "name: many\ntasks:\n" + string.Concat(Enumerable.Range(0, count).Select(i => $"  - {{ id: t{i}, argv: [work] }}\n"));

    [PostgresFact]
    public async Task Four_workers_claiming_concurrently_run_every_task_exactly_once()
    {
        await using var cluster = await Cluster.CreateAsync();
        var runId = await cluster.SubmitAsync(Independent(300), concurrency: 64);
        var runs = new ConcurrentDictionary<string, int>();
        var executor = new ScriptedExecutor(async (c, _) =>
        {
            runs.AddOrUpdate(c.InstanceId, 1, (_, n) => n + 1);
            await Task.Yield();
            return TaskResult.FromValue(c.InstanceId);
        });

        await Task.WhenAll(Enumerable.Range(0, 4).Select(i => cluster.Worker(executor, $"w{i}", concurrency: 16).RunAsync()));

        Assert.Equal(300, runs.Count);
        Assert.All(runs, r => Assert.Equal(1, r.Value));
        var attempts = await cluster.AttemptsAsync(runId);
        Assert.Equal(300, attempts.Count);
        Assert.All(attempts, a => Assert.Equal((1, "succeeded"), (a.Attempt, a.Outcome)));
        Assert.Equal("succeeded", await cluster.ScalarAsync<string>("SELECT status FROM fanout_runs WHERE run_id = @run", ("run", runId)));
    }

    [PostgresFact]
    public async Task An_expired_lease_is_claimed_again_and_the_lost_attempt_is_recorded()
    {
        await using var cluster = await Cluster.CreateAsync();
        var runId = await cluster.SubmitAsync("name: one\ntasks:\n  - { id: a, argv: [work] }\n");
        // A worker claimed 'a' and died: its lease ran out (by the database's clock) without a heartbeat.
        await cluster.ExecuteAsync(
            """
            UPDATE fanout_instances SET state = 'running', attempts = 1, lease_owner = 'dead', lease_until = now() - interval '1 ms',
                attempt_started_at = now(), started_at = now() WHERE run_id = @run AND instance_id = 'a';
            INSERT INTO fanout_attempts (run_id, instance_id, attempt, started_at, outcome, worker) VALUES (@run, 'a', 1, now(), 'running', 'dead');
            """, ("run", runId));

        await cluster.Worker(ScriptedExecutor.Echo(), "alive").RunAsync();

        Assert.Equal([("a", 1, "lost", "dead"), ("a", 2, "succeeded", "alive")], await cluster.AttemptsAsync(runId));
        Assert.Equal(("succeeded", null, 2), (await cluster.InstancesAsync(runId))["a"]);
        var report = await DistributedRuns.ReportAsync(cluster.Database, runId);
        Assert.Equal(RunStatus.Succeeded, report!.Status);
        Assert.Equal([AttemptOutcome.Lost, AttemptOutcome.Succeeded], report.Tasks.Single().AttemptLog.Select(a => a.Outcome));
    }

    [PostgresFact]
    public async Task A_live_lease_is_not_claimed_by_another_worker()
    {
        await using var cluster = await Cluster.CreateAsync();
        var runId = await cluster.SubmitAsync("name: two\ntasks:\n  - { id: a, argv: [work] }\n  - { id: b, argv: [work] }\n");
        await cluster.ExecuteAsync(
            "UPDATE fanout_instances SET state = 'running', attempts = 1, lease_owner = 'busy', lease_until = now() + interval '1 hour' WHERE run_id = @run AND instance_id = 'a'",
            ("run", runId));
        var started = new ConcurrentBag<string>();
        var worker = cluster.Worker(new ScriptedExecutor((c, _) =>
        {
            started.Add(c.InstanceId);
            return ValueTask.FromResult(TaskResult.FromValue(1));
        }));

        Assert.Equal(1, await worker.ClaimOnceAsync(10));
        Assert.Equal(0, await worker.ClaimOnceAsync(10));
    }

    [PostgresFact]
    public async Task A_worker_that_lost_its_lease_cannot_complete_the_task()
    {
        await using var cluster = await Cluster.CreateAsync();
        var runId = await cluster.SubmitAsync("name: one\ntasks:\n  - { id: a, argv: [work] }\n");
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var discarded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = cluster.Worker(new ScriptedExecutor(async (_, _) =>
        {
            entered.SetResult();
            await release.Task;
            return TaskResult.FromValue("slow");
        }), "slow", lease: TimeSpan.FromHours(1), exitWhenIdle: false, log: line =>
        {
            if (line.Contains("discarded", StringComparison.Ordinal))
            {
                discarded.TrySetResult();
            }
        });
        using var stopSlow = new CancellationTokenSource();
        var slowRun = slow.RunAsync(stopSlow.Token);
        await entered.Task;
        // Its lease ends (as if it had been cut off from the database long enough); another worker takes over.
        await cluster.ExecuteAsync("UPDATE fanout_instances SET lease_until = now() - interval '1 ms' WHERE run_id = @run", ("run", runId));
        await cluster.Worker(new ScriptedExecutor((_, _) => ValueTask.FromResult(TaskResult.FromValue("fast"))), "fast").RunAsync();

        release.SetResult();
        await discarded.Task;
        await stopSlow.CancelAsync();
        await slowRun;

        Assert.Equal(1, slow.Superseded);
        Assert.Equal([("a", 1, "lost", "slow"), ("a", 2, "succeeded", "fast")], await cluster.AttemptsAsync(runId));
        var report = await DistributedRuns.ReportAsync(cluster.Database, runId);
        Assert.Equal("fast", report!.Tasks.Single().Output!.Value.GetString());
    }

    [PostgresFact]
    public async Task A_completion_and_the_dependents_it_makes_ready_commit_together_or_not_at_all()
    {
        await using var cluster = await Cluster.CreateAsync();
        var runId = await cluster.SubmitAsync("name: chain\ntasks:\n  - { id: a, argv: [work] }\n  - { id: b, needs: [a], argv: [work] }\n");
        // The last statement of a completion (recording the attempt's outcome) fails: everything before it must roll back.
        await cluster.ExecuteAsync(
            """
            CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
            CREATE TRIGGER refuse BEFORE UPDATE ON fanout_attempts FOR EACH ROW WHEN (NEW.outcome = 'succeeded') EXECUTE FUNCTION refuse();
            """);
        var failedOnce = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = cluster.Worker(ScriptedExecutor.Echo(), log: line =>
        {
            if (line.Contains("refused by the test", StringComparison.Ordinal))
            {
                failedOnce.TrySetResult();
            }
        });
        var running = worker.RunAsync();
        await failedOnce.Task;

        var instances = await cluster.InstancesAsync(runId);
        Assert.Equal("running", instances["a"].State);
        Assert.Equal("pending", instances["b"].State);
        Assert.Equal([("a", 1, "running")], (await cluster.AttemptsAsync(runId)).Select(a => (a.Instance, a.Attempt, a.Outcome)));
        Assert.Equal("running", await cluster.ScalarAsync<string>("SELECT status FROM fanout_runs WHERE run_id = @run", ("run", runId)));

        await cluster.ExecuteAsync("DROP TRIGGER refuse ON fanout_attempts");
        await running;

        instances = await cluster.InstancesAsync(runId);
        Assert.Equal(("succeeded", 1), (instances["a"].State, instances["a"].Attempts));
        Assert.Equal(("succeeded", 1), (instances["b"].State, instances["b"].Attempts));
    }

    [PostgresFact]
    public async Task A_failed_task_skips_only_its_dependents()
    {
        await using var cluster = await Cluster.CreateAsync();
        var runId = await cluster.SubmitAsync(
            """
            name: failing
            defaults: { retry: 1 }
            tasks:
              - { id: a, argv: [work] }
              - { id: b, needs: [a], argv: [work] }
              - { id: c, needs: [b], argv: [work] }
              - { id: x, argv: [work] }
              - { id: y, needs: [x], argv: [work] }
              - { id: summary, needs: [a, y], after: settled, argv: [work] }
            """);
        var worker = cluster.Worker(new ScriptedExecutor((c, _) => c.InstanceId == "a"
            ? throw new TaskFailedException("boom")
            : ValueTask.FromResult(TaskResult.FromValue(string.Join(",", c.Dependencies.OrderBy(d => d.Key).Select(d => $"{d.Key}={d.Value.State.ToWire()}"))))));

        await worker.RunAsync();

        var instances = await cluster.InstancesAsync(runId);
        Assert.Equal(("failed", "boom"), (instances["a"].State, instances["a"].Error));
        Assert.Equal(("skipped", "dependency 'a' failed"), (instances["b"].State, instances["b"].Error));
        Assert.Equal(("skipped", "dependency 'b' skipped"), (instances["c"].State, instances["c"].Error));
        Assert.Equal("succeeded", instances["x"].State);
        Assert.Equal("succeeded", instances["y"].State);
        var report = await DistributedRuns.ReportAsync(cluster.Database, runId);
        Assert.Equal(RunStatus.Failed, report!.Status);
        Assert.Equal("a=failed,y=succeeded", report.Tasks.Single(t => t.Id == "summary").Output!.Value.GetString());
        Assert.Equal(0, (await cluster.AttemptsAsync(runId)).Count(a => a.Instance is "b" or "c"));
    }

    [PostgresFact]
    public async Task A_failed_attempt_is_retried_after_its_backoff()
    {
        await using var cluster = await Cluster.CreateAsync();
        var runId = await cluster.SubmitAsync("name: flaky\ntasks:\n  - { id: a, argv: [work], retry: { max_attempts: 3, base_delay: 10ms } }\n");
        var worker = cluster.Worker(new ScriptedExecutor((c, _) => c.Attempt == 1
            ? throw new TaskFailedException("transient")
            : ValueTask.FromResult(TaskResult.FromValue(c.Attempt))));

        await worker.RunAsync();

        Assert.Equal([(1, "failed"), (2, "succeeded")], (await cluster.AttemptsAsync(runId)).Select(a => (a.Attempt, a.Outcome)));
        Assert.Equal(2, (await DistributedRuns.ReportAsync(cluster.Database, runId))!.Tasks.Single().Output!.Value.GetInt32());
    }

    [PostgresFact]
    public async Task An_output_that_breaks_its_contract_fails_the_attempt_and_is_retried()
    {
        await using var cluster = await Cluster.CreateAsync();
        var runId = await cluster.SubmitAsync(
            """
            name: contracted
            contracts:
              shape:
                producer: a
                schema: { type: object, required: [token] }
            tasks:
              - { id: a, argv: [work], retry: { max_attempts: 2, base_delay: 1ms } }
            """);
        var worker = cluster.Worker(new ScriptedExecutor((c, _) =>
            ValueTask.FromResult(TaskResult.FromValue(c.Attempt == 1 ? new { other = 1 } : new { token = "t" }))));

        await worker.RunAsync();

        var attempts = await cluster.AttemptsAsync(runId);
        Assert.Equal([(1, "failed"), (2, "succeeded")], attempts.Select(a => (a.Attempt, a.Outcome)));
        var report = await DistributedRuns.ReportAsync(cluster.Database, runId);
        Assert.Contains("shape", report!.Tasks.Single().AttemptLog[0].Error, StringComparison.Ordinal);
    }

    [PostgresFact]
    public async Task A_fan_out_expands_when_its_producer_completes_and_its_dependent_sees_every_item()
    {
        await using var cluster = await Cluster.CreateAsync();
        var runId = await cluster.SubmitAsync(
            """
            name: fan
            tasks:
              - { id: list, merge: [x, y, z] }
              - { id: each, needs: [list], foreach: tasks.list.output, argv: [work] }
              - { id: join, needs: [each], merge: "{{tasks.each.output}}" }
            """);
        var worker = cluster.Worker(new ScriptedExecutor((c, _) => ValueTask.FromResult(TaskResult.FromValue($"{c.ItemIndex}:{c.Item!.Value.GetString()!.ToUpperInvariant()}"))));

        await worker.RunAsync();

        var report = await DistributedRuns.ReportAsync(cluster.Database, runId);
        Assert.Equal(RunStatus.Succeeded, report!.Status);
        Assert.Equal(["list", "each", "each[0]", "each[1]", "each[2]", "join"], report.Tasks.Select(t => t.Id));
        Assert.Equal(3, report.Tasks.Single(t => t.Id == "each").Items);
        Assert.Equal("""["0:X","1:Y","2:Z"]""", JsonSerializer.Serialize(report.Tasks.Single(t => t.Id == "join").Output));
    }

    [PostgresFact]
    public async Task Concurrency_and_pool_limits_hold_across_three_workers()
    {
        await using var cluster = await Cluster.CreateAsync();
        var yaml = "name: capped\npools: { narrow: 1 }\ntasks:\n"
            + string.Concat(Enumerable.Range(0, 12).Select(i => $"  - {{ id: n{i}, pool: narrow, argv: [work] }}\n"))
            + string.Concat(Enumerable.Range(0, 24).Select(i => $"  - {{ id: t{i}, argv: [work] }}\n"));
        var runId = await cluster.SubmitAsync(yaml, concurrency: 3);
        int running = 0, peak = 0, narrow = 0, narrowPeak = 0;
        var executor = new ScriptedExecutor(async (c, _) =>
        {
            var isNarrow = c.InstanceId.StartsWith('n');
            var now = Interlocked.Increment(ref running);
            var nowNarrow = isNarrow ? Interlocked.Increment(ref narrow) : 0;
            lock (executorLock)
            {
                peak = Math.Max(peak, now);
                narrowPeak = Math.Max(narrowPeak, nowNarrow);
            }

            // Hold the slot a little, so that workers overlap: the work itself.
            await Task.Delay(5);
            if (isNarrow)
            {
                Interlocked.Decrement(ref narrow);
            }

            Interlocked.Decrement(ref running);
            return TaskResult.FromValue(1);
        });

        await Task.WhenAll(Enumerable.Range(0, 3).Select(i => cluster.Worker(executor, $"w{i}", concurrency: 8).RunAsync()));

        Assert.InRange(peak, 1, 3);
        Assert.Equal(1, narrowPeak);
        var report = await DistributedRuns.ReportAsync(cluster.Database, runId);
        Assert.Equal(RunStatus.Succeeded, report!.Status);
        Assert.InRange(report.PeakConcurrency, 1, 3);
    }

    private static readonly Lock executorLock = new();
}
