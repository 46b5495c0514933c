using Fanout.Storage;
using System.Text.Json;
using Fanout.Templates;
using Npgsql;
using NpgsqlTypes;
using static Fanout.Storage.Postgres.PgValues;

namespace Fanout.Storage.Postgres.Distributed;

/// <summary>
/// The distributed engine's version of the scheduler's bookkeeping, done inside one transaction: settles instances,
/// counts down dependents' remaining dependencies and makes them ready (expanding fan-outs), skips the dependents of
/// failures, finishes fan-out groups and, when the last task settles, the run. Rows it touches are locked
/// (<c>FOR UPDATE</c>) and kept in memory, then written back together by <see cref="FlushAsync"/>, so a whole batch
/// of completions costs a handful of statements.
/// </summary>
internal sealed class Settler(NpgsqlConnection connection, NpgsqlTransaction transaction, RunContext run, DateTimeOffset now, string? stopReason)
{
    private readonly Dictionary<string, InstanceRow> _rows = new(StringComparer.Ordinal);
    private readonly List<InstanceRow> _created = [];
    private int _settledTasks;
    private string? _stopReason = stopReason;
    private bool _stopRequested;
    private int _madeReady;

    private TaskGraph Graph => run.Graph;

    /// <summary>The rows of <paramref name="ids"/>, locked, in the order asked (missing ones left out).</summary>
    public async Task<List<InstanceRow>> LockAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var missing = ids.Where(id => !_rows.ContainsKey(id)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (missing.Length > 0)
        {
            // Sorted, so transactions locking overlapping sets take the locks in the same order.
            await LoadAsync($"SELECT {InstanceRow.Columns} FROM fanout_instances WHERE run_id = @run AND instance_id = ANY(@ids) ORDER BY instance_id FOR UPDATE",
                p => p.AddWithValue("ids", missing), cancellationToken);
        }

        return [.. ids.Where(_rows.ContainsKey).Select(id => _rows[id])];
    }

    /// <summary>Adds an instance created in this transaction (a submitted run's rows) so settling can find it.</summary>
    public void Adopt(InstanceRow row) => _rows[row.InstanceId] = row;

    private async Task LoadAsync(string sql, Action<NpgsqlParameterCollection> parameters, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.AddWithValue("run", run.RunId);
        parameters(command.Parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = InstanceRow.Read(reader);
            _rows.TryAdd(row.InstanceId, row);
        }
    }

    /// <summary>An attempt of <paramref name="row"/> succeeded.</summary>
    public Task SucceedAsync(InstanceRow row, TaskResult result, DateTimeOffset at, CancellationToken cancellationToken)
    {
        row.Account(result.Tokens, result.CostUsd);
        row.ResultJson = StoredResult.Serialize(result);
        row.FinishedAt = at;
        return SettleAsync(row, TaskState.Succeeded, null, cancellationToken);
    }

    /// <summary>An attempt of <paramref name="row"/> failed: it is retried after a backoff (<c>not_before</c>) or fails
    /// for good, skipping its dependents.</summary>
    public Task FailAsync(InstanceRow row, Exception error, string description, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var failed = error as TaskFailedException;
        row.Account(failed?.Tokens, failed?.CostUsd);
        row.LastError = description;
        if (error is RateLimitedException)
        {
            row.RateLimited++;
        }

        // Lost attempts (a worker died holding the lease) do not count against the task's retry policy.
        if (_stopReason is null && RetryDecision.Next(Graph[row.Node], Graph.Plan, error, row.Attempts - row.Lost, run.Random) is { } delay)
        {
            row.State = TaskState.Ready;
            row.NotBefore = now + delay;
            row.ReadyAt = now + delay;
            row.LeaseOwner = null;
            row.Dirty = true;
            return Task.CompletedTask;
        }

        row.FinishedAt = at;
        return SettleAsync(row, _stopReason is null ? TaskState.Failed : TaskState.Cancelled, _stopReason ?? description, cancellationToken);
    }

    /// <summary>The one place an instance reaches a final state (mirrors the scheduler's <c>Settle</c>).</summary>
    public async Task SettleAsync(InstanceRow row, TaskState state, string? error, CancellationToken cancellationToken)
    {
        if (row.State.IsSettled())
        {
            return;
        }

        row.State = state;
        row.Error = error;
        row.FinishedAt ??= now;
        row.LeaseOwner = null;
        row.Dirty = true;
        var task = Graph[row.Node];
        if (row.Role == InstanceRow.Item)
        {
            var group = (await LockAsync([task.Id], cancellationToken))[0];
            group.Remaining--;
            group.Dirty = true;
            if (state == TaskState.Failed)
            {
                group.Failures++;
            }

            if (group.Remaining == 0)
            {
                await FinishGroupAsync(group, cancellationToken);
            }
            else if (state == TaskState.Failed && group.Failures > task.Foreach!.MaxFailures && !task.Optional && run.FailFast)
            {
                Stop($"cancelled: '{task.Id}' failed and the plan fails fast");
            }

            return;
        }

        _settledTasks++;
        if (state == TaskState.Failed && !task.Optional && run.FailFast)
        {
            Stop($"cancelled: '{task.Id}' failed and the plan fails fast");
        }

        var satisfied = state == TaskState.Succeeded || task.Optional;
        var successors = Graph.Successors(row.Node).ToArray();
        if (successors.Length == 0)
        {
            return;
        }

        foreach (var next in await LockAsync([.. successors.Select(s => Graph[s].Id)], cancellationToken))
        {
            if (next.State != TaskState.Pending || _stopReason is not null)
            {
                continue;
            }

            if (!satisfied && Graph[next.Node].After == DependencyTrigger.Succeeded)
            {
                await SettleAsync(next, TaskState.Skipped, $"dependency '{task.Id}' {state.ToWire()}", cancellationToken);
                continue;
            }

            next.Remaining--;
            next.Dirty = true;
            if (next.Remaining == 0)
            {
                await MakeReadyAsync(next, cancellationToken);
            }
        }
    }

    /// <summary>All dependencies of <paramref name="row"/> settled: it becomes claimable, or a fan-out expands into
    /// one claimable item per element.</summary>
    public async Task MakeReadyAsync(InstanceRow row, CancellationToken cancellationToken)
    {
        var task = Graph[row.Node];
        row.ReadyAt = now;
        row.Dirty = true;
        if (task.Foreach is null)
        {
            row.State = TaskState.Ready;
            _madeReady++;
            return;
        }

        JsonElement items;
        try
        {
            items = ForeachItems.Resolve(task, run.Inputs, await DependenciesAsync(row.Node, cancellationToken));
        }
        catch (TemplateException e)
        {
            await SettleAsync(row, TaskState.Failed, $"foreach: {e.Message}", cancellationToken);
            return;
        }

        row.State = TaskState.Running;
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var child = new InstanceRow
            {
                InstanceId = $"{task.Id}[{index}]",
                TaskId = task.Id,
                ItemIndex = index,
                Node = row.Node,
                Role = InstanceRow.Item,
                State = TaskState.Ready,
                ReadyAt = now,
                ItemJson = item.GetRawText(),
                Rank = row.Rank,
                Pool = row.Pool,
                New = true,
            };
            _rows[child.InstanceId] = child;
            _created.Add(child);
            index++;
        }

        row.Remaining = index;
        _madeReady += index;
        if (index == 0)
        {
            await FinishGroupAsync(row, cancellationToken);
        }
    }

    /// <summary>Each dependency of <paramref name="node"/> as its dependents see it (settled rows never change).</summary>
    public async Task<Dictionary<string, DependencyResult>> DependenciesAsync(int node, CancellationToken cancellationToken)
    {
        var ids = Graph.Predecessors(node).ToArray().Select(p => Graph[p].Id).ToArray();
        var missing = ids.Where(id => !_rows.ContainsKey(id)).ToArray();
        if (missing.Length > 0)
        {
            await LoadAsync($"SELECT {InstanceRow.Columns} FROM fanout_instances WHERE run_id = @run AND instance_id = ANY(@ids)",
                p => p.AddWithValue("ids", missing), cancellationToken);
        }

        return ids.ToDictionary(id => id, id => _rows[id].ToDependency(), StringComparer.Ordinal);
    }

    private async Task FinishGroupAsync(InstanceRow group, CancellationToken cancellationToken)
    {
        var task = Graph[group.Node];
        await LoadAsync($"SELECT {InstanceRow.Columns} FROM fanout_instances WHERE run_id = @run AND task_id = @task AND role = 'i'",
            p => p.AddWithValue("task", task.Id), cancellationToken);
        var children = _rows.Values.Where(r => r.Role == InstanceRow.Item && r.TaskId == task.Id).OrderBy(r => r.ItemIndex).ToList();
        group.Attempts = children.Sum(c => c.Attempts);
        group.StartedAt = children.Min(c => c.StartedAt) ?? group.ReadyAt;
        group.FinishedAt = children.Count == 0 ? now : children.Max(c => c.FinishedAt);
        var (output, items) = ForeachItems.Settled([.. children.Select(c => (
            c.ItemIndex ?? 0,
            c.ItemJson is { } json ? (JsonElement?)JsonDocument.Parse(json).RootElement.Clone() : null,
            c.State,
            c.State == TaskState.Succeeded ? Results.Output(c.ResultJson) : null,
            c.Error))]);
        group.ResultJson = StoredResult.Serialize(new TaskResult { Output = output });
        group.ItemsJson = items.GetRawText();
        group.Dirty = true;
        if (ForeachItems.FailureReason(task, group.Failures, children.Count) is { } failure)
        {
            await SettleAsync(group, TaskState.Failed, failure, cancellationToken);
        }
        else if (children.Any(c => c.State == TaskState.Cancelled) && _stopReason is not null)
        {
            await SettleAsync(group, TaskState.Cancelled, _stopReason, cancellationToken);
        }
        else
        {
            await SettleAsync(group, TaskState.Succeeded, null, cancellationToken);
        }
    }

    private void Stop(string reason)
    {
        if (_stopReason is null)
        {
            _stopReason = reason;
            _stopRequested = true;
        }
    }

    /// <summary>Writes every change back; finishes the run when its last task settled. Returns the run's final
    /// status when this transaction finished it, else null.</summary>
    /// <param name="first">A statement to send ahead of the writes in the same round trip (the attempts' outcomes).</param>
    /// <param name="cancellationToken">Cancels the writes.</param>
    public async Task<string?> FlushAsync(NpgsqlBatchCommand? first, CancellationToken cancellationToken)
    {
        var batch = new NpgsqlBatch(connection, transaction);
        if (first is not null)
        {
            batch.BatchCommands.Add(first);
        }

        if (_created.Count > 0)
        {
            var insert = new NpgsqlBatchCommand(
                $"""
                INSERT INTO fanout_instances (run_id, instance_id, task_id, item_index, node, role, state, ready_at, item, rank, pool)
                SELECT @run, u.id, u.task, u.idx, u.node, 'i', '{States.Ready}', @now, u.item::jsonb, u.rank, u.pool
                FROM unnest(@ids, @tasks, @indexes, @nodes, @items, @ranks, @pools) AS u(id, task, idx, node, item, rank, pool)
                """);
            insert.Parameters.AddWithValue("run", run.RunId);
            insert.Parameters.AddWithValue("now", now.UtcDateTime);
            insert.Parameters.AddWithValue("ids", _created.Select(r => r.InstanceId).ToArray());
            insert.Parameters.AddWithValue("tasks", _created.Select(r => r.TaskId).ToArray());
            insert.Parameters.AddWithValue("indexes", _created.Select(r => r.ItemIndex ?? 0).ToArray());
            insert.Parameters.AddWithValue("nodes", _created.Select(r => r.Node).ToArray());
            insert.Parameters.AddWithValue("items", _created.Select(r => r.ItemJson).ToArray());
            insert.Parameters.AddWithValue("ranks", _created.Select(r => r.Rank).ToArray());
            insert.Parameters.AddWithValue("pools", NpgsqlDbType.Array | NpgsqlDbType.Text, _created.Select(r => r.Pool).ToArray());
            batch.BatchCommands.Add(insert);
        }

        var dirty = _rows.Values.Where(r => r.Dirty && !r.New).ToList();
        // Items created here and settled in the same transaction (an empty fan-out never has any; a literal one may
        // not settle before it runs) need no second write.
        if (dirty.Count > 0)
        {
            batch.BatchCommands.Add(UpdateRows(dirty));
        }

        if (_stopRequested)
        {
            var stop = new NpgsqlBatchCommand(
                """
                UPDATE fanout_runs SET stop_reason = @reason WHERE run_id = @run AND stop_reason IS NULL;
                """);
            stop.Parameters.AddWithValue("run", run.RunId);
            stop.Parameters.AddWithValue("reason", _stopReason!);
            batch.BatchCommands.Add(stop);
            var cancel = new NpgsqlBatchCommand(
                $"""
                UPDATE fanout_instances AS t SET state = '{States.Cancelled}', error = @reason, finished_at = @now, updated_at = @now
                WHERE t.run_id = @run AND (t.state IN ('{States.Pending}', '{States.Ready}')
                    OR (t.role = 'g' AND t.state = '{States.Running}' AND NOT EXISTS (
                        SELECT 1 FROM fanout_instances c WHERE c.run_id = @run AND c.task_id = t.task_id AND c.role = 'i' AND c.state = '{States.Running}')))
                """);
            cancel.Parameters.AddWithValue("run", run.RunId);
            cancel.Parameters.AddWithValue("reason", _stopReason!);
            cancel.Parameters.AddWithValue("now", now.UtcDateTime);
            batch.BatchCommands.Add(cancel);
        }

        // No counter on the run row (every completion would queue on its lock): the run is done when no task is left
        // unsettled. Two transactions settling the last two tasks at once may each still see the other's as
        // unsettled; then the next claimer to find nothing to do finishes the run (TryFinishRunAsync).
        var check = _settledTasks > 0 || _stopRequested;
        if (check)
        {
            var done = new NpgsqlBatchCommand(
                $"SELECT NOT EXISTS (SELECT 1 FROM fanout_instances WHERE run_id = @run AND role <> 'i' AND state NOT IN {States.SettledList})");
            done.Parameters.AddWithValue("run", run.RunId);
            batch.BatchCommands.Add(done);
        }

        if (_madeReady > 0)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"NOTIFY {Channels.Ready}"));
        }

        if (batch.BatchCommands.Count == 0)
        {
            return null;
        }

        var finished = false;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            do
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    finished = reader.GetBoolean(0);
                }
            }
            while (await reader.NextResultAsync(cancellationToken));
        }

        return check && finished ? await TryFinishRunAsync(connection, transaction, run, cancellationToken) : null;
    }

    private NpgsqlBatchCommand UpdateRows(List<InstanceRow> rows)
    {
        var update = new NpgsqlBatchCommand(
            $"""
            UPDATE fanout_instances AS t SET state = u.state, remaining = u.remaining, failures = u.failures, attempts = u.attempts, lost = u.lost,
                error = u.error, last_error = u.last_error, result_json = u.result_json, items = u.items::jsonb,
                ready_at = u.ready_at, started_at = u.started_at, finished_at = u.finished_at, not_before = u.not_before,
                rate_limited = u.rate_limited, tokens_in = u.tokens_in, tokens_out = u.tokens_out, cost_usd = u.cost_usd,
                lease_owner = u.lease_owner, lease_until = CASE WHEN u.state = '{States.Running}' THEN t.lease_until END, updated_at = @now
            FROM unnest(@ids, @states, @remaining, @failures, @attempts, @lost_counts, @errors, @last_errors, @results, @items, @ready_at,
                        @started_at, @finished_at, @not_before, @rate_limited, @tokens_in, @tokens_out, @costs, @owners)
                AS u(id, state, remaining, failures, attempts, lost, error, last_error, result_json, items, ready_at,
                     started_at, finished_at, not_before, rate_limited, tokens_in, tokens_out, cost_usd, lease_owner)
            WHERE t.run_id = @run AND t.instance_id = u.id
            """);
        var p = update.Parameters;
        p.AddWithValue("run", run.RunId);
        p.AddWithValue("now", now.UtcDateTime);
        p.AddWithValue("ids", rows.Select(r => r.InstanceId).ToArray());
        p.AddWithValue("states", rows.Select(r => r.State.ToWire()).ToArray());
        p.AddWithValue("remaining", rows.Select(r => r.Remaining).ToArray());
        p.AddWithValue("failures", rows.Select(r => r.Failures).ToArray());
        p.AddWithValue("attempts", rows.Select(r => r.Attempts).ToArray());
        p.AddWithValue("lost_counts", rows.Select(r => r.Lost).ToArray());
        Text(p, "errors", rows.Select(r => r.Error));
        Text(p, "last_errors", rows.Select(r => r.LastError));
        Text(p, "results", rows.Select(r => r.ResultJson));
        Text(p, "items", rows.Select(r => r.ItemsJson));
        Times(p, "ready_at", rows.Select(r => r.ReadyAt));
        Times(p, "started_at", rows.Select(r => r.StartedAt));
        Times(p, "finished_at", rows.Select(r => r.FinishedAt));
        Times(p, "not_before", rows.Select(r => r.NotBefore));
        p.AddWithValue("rate_limited", rows.Select(r => r.RateLimited).ToArray());
        p.AddWithValue("tokens_in", NpgsqlDbType.Array | NpgsqlDbType.Bigint, rows.Select(r => r.TokensIn).ToArray());
        p.AddWithValue("tokens_out", NpgsqlDbType.Array | NpgsqlDbType.Bigint, rows.Select(r => r.TokensOut).ToArray());
        p.AddWithValue("costs", NpgsqlDbType.Array | NpgsqlDbType.Numeric, rows.Select(r => r.CostUsd).ToArray());
        Text(p, "owners", rows.Select(r => r.LeaseOwner));
        return update;
    }

    /// <summary>Finishes the run when no task of it is left unsettled, with the scheduler's rule for its status (every
    /// task succeeded, or is optional). Returns the status when this transaction finished it, else null (not done,
    /// or someone else finished it first).</summary>
    public static async Task<string?> TryFinishRunAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RunContext run, CancellationToken cancellationToken)
    {
        await using (var pending = new NpgsqlCommand(
            $"SELECT EXISTS (SELECT 1 FROM fanout_instances WHERE run_id = @run AND role <> 'i' AND state NOT IN {States.SettledList})",
            connection, transaction))
        {
            pending.Parameters.AddWithValue("run", run.RunId);
            if ((bool)(await pending.ExecuteScalarAsync(cancellationToken))!)
            {
                return null;
            }
        }

        var succeeded = true;
        await using (var command = new NpgsqlCommand("SELECT task_id, state FROM fanout_instances WHERE run_id = @run AND role <> 'i'", connection, transaction))
        {
            command.Parameters.AddWithValue("run", run.RunId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var state = States.Parse(reader.GetString(1));
                if (!state.IsSettled())
                {
                    return null;
                }

                var node = run.Graph.IndexOf(reader.GetString(0));
                succeeded &= state == TaskState.Succeeded || (node >= 0 && run.Graph[node].Optional);
            }
        }

        var status = (succeeded ? RunStatus.Succeeded : RunStatus.Failed).ToWire();
        await using var finish = new NpgsqlCommand(
            $"""
            WITH finished AS (
                UPDATE fanout_runs SET status = @status, finished_at = now(),
                    cost_usd = (SELECT sum(cost_usd) FROM fanout_instances WHERE run_id = @run AND role <> 'g')
                WHERE run_id = @run AND status = '{RunStatuses.Running}' RETURNING run_id)
            SELECT pg_notify('{Channels.Finished}', run_id) FROM finished
            """, connection, transaction);
        finish.Parameters.AddWithValue("run", run.RunId);
        finish.Parameters.AddWithValue("status", status);
        return await finish.ExecuteScalarAsync(cancellationToken) is null ? null : status;
    }
}

/// <summary>LISTEN/NOTIFY channels.</summary>
internal static class Channels
{
    /// <summary>Some instance became claimable.</summary>
    public const string Ready = "fanout_ready";

    /// <summary>A run finished (payload: its id).</summary>
    public const string Finished = "fanout_run_finished";
}
