using System.Collections.Immutable;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Fanout.Storage.Postgres.Distributed;

/// <summary>Submitting runs to the workers, waiting for them, and building their report from the journal.</summary>
public static class DistributedRuns
{
    /// <summary>Writes the run and all its task instances (those without dependencies ready) in one transaction and
    /// wakes idle workers.</summary>
    public static async Task SubmitAsync(PostgresDatabase database, Submission submission, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(submission);
        var graph = submission.Graph;
        var plan = graph.Plan;
        var ranks = graph.UpwardRanks(RunOptions.DefaultEstimate);
        await using var connection = await database.Source.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        DateTimeOffset now;
        await using (var command = new NpgsqlCommand(
            $"""
            INSERT INTO fanout_runs (run_id, plan, plan_text, plan_path, inputs_json, status, distributed, base_directory, concurrency, fail_fast, seed)
            VALUES (@run, @plan, @text, @path, @inputs, '{RunStatuses.Running}', true, @base, @concurrency, @fail_fast, @seed)
            RETURNING started_at
            """, connection, transaction))
        {
            var p = command.Parameters;
            p.AddWithValue("run", submission.RunId);
            p.AddWithValue("plan", plan.Name);
            p.AddWithValue("text", submission.PlanText);
            p.AddWithValue("path", submission.PlanPath);
            p.AddWithValue("inputs", NpgsqlDbType.Text, submission.Inputs.ValueKind == JsonValueKind.Undefined ? DBNull.Value : submission.Inputs.GetRawText());
            p.AddWithValue("base", submission.BaseDirectory);
            p.AddWithValue("concurrency", Math.Max(1, submission.Concurrency ?? plan.Concurrency ?? RunOptions.DefaultConcurrency));
            p.AddWithValue("fail_fast", submission.FailFast || plan.OnFailure == FailurePolicy.FailFast);
            p.AddWithValue("seed", NpgsqlDbType.Integer, (object?)submission.Seed ?? DBNull.Value);
            now = new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync(cancellationToken))!, TimeSpan.Zero);
        }

        var rows = new List<InstanceRow>(graph.Count);
        await using (var import = await connection.BeginBinaryImportAsync(
            "COPY fanout_instances (run_id, instance_id, task_id, node, role, state, remaining, rank, pool, ready_at) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            for (var v = 0; v < graph.Count; v++)
            {
                var task = graph[v];
                var remaining = graph.Predecessors(v).Length;
                var ready = remaining == 0 && task.Foreach is null;
                var row = new InstanceRow
                {
                    InstanceId = task.Id,
                    TaskId = task.Id,
                    Node = v,
                    Role = task.Foreach is null ? InstanceRow.Task : InstanceRow.Group,
                    State = ready ? TaskState.Ready : TaskState.Pending,
                    Remaining = remaining,
                    Rank = ranks[v],
                    Pool = task.Pool,
                    ReadyAt = ready ? now : null,
                };
                rows.Add(row);
                await import.StartRowAsync(cancellationToken);
                await import.WriteAsync(submission.RunId, NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(row.InstanceId, NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(row.TaskId, NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(v, NpgsqlDbType.Integer, cancellationToken);
                await import.WriteAsync(row.Role.ToString(), NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(row.State.ToWire(), NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(remaining, NpgsqlDbType.Integer, cancellationToken);
                await import.WriteAsync(row.Rank, NpgsqlDbType.Double, cancellationToken);
                await import.WriteAsync(task.Pool, NpgsqlDbType.Text, cancellationToken);
                await import.WriteAsync(row.ReadyAt?.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
            }

            await import.CompleteAsync(cancellationToken);
        }

        // Fan-outs without dependencies expand now (literal items or inputs), exactly as when a dependency completes.
        var context = new RunContext
        {
            RunId = submission.RunId,
            Graph = graph,
            Inputs = submission.Inputs,
            FailFast = submission.FailFast || plan.OnFailure == FailurePolicy.FailFast,
            Random = submission.Seed is { } seed ? new Random(seed) : new Random(),
        };
        var settler = new Settler(connection, transaction, context, now, null);
        foreach (var row in rows)
        {
            settler.Adopt(row);
        }

        foreach (var row in rows.Where(r => r.Role == InstanceRow.Group && r.Remaining == 0))
        {
            await settler.MakeReadyAsync(row, cancellationToken);
        }

        await settler.FlushAsync(null, cancellationToken);
        await using (var notify = new NpgsqlCommand($"NOTIFY {Channels.Ready}", connection, transaction))
        {
            await notify.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Waits until the run has finished (woken by LISTEN, checked every <paramref name="poll"/> as well);
    /// returns its final status, or null when there is no such run.</summary>
    public static async Task<string?> WaitAsync(PostgresDatabase database, string runId, TimeSpan poll, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        await using var listener = await database.Source.OpenConnectionAsync(cancellationToken);
        await using (var listen = new NpgsqlCommand($"LISTEN {Channels.Finished}", listener))
        {
            await listen.ExecuteNonQueryAsync(cancellationToken);
        }

        while (true)
        {
            await using (var command = database.Source.CreateCommand("SELECT status FROM fanout_runs WHERE run_id = @run"))
            {
                command.Parameters.AddWithValue("run", runId);
                var status = (string?)await command.ExecuteScalarAsync(cancellationToken);
                if (status != RunStatuses.Running)
                {
                    return status;
                }
            }

            await listener.WaitAsync(poll, cancellationToken);
        }
    }

    /// <summary>The run's report, built from the journal with the same builder as a local run's; null when there is
    /// no such run or it was not distributed.</summary>
    public static async Task<RunReport?> ReportAsync(PostgresDatabase database, string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        await using var connection = await database.Source.OpenConnectionAsync(cancellationToken);
        string status;
        DateTimeOffset startedAt;
        DateTimeOffset? finishedAt;
        int concurrency;
        await using (var command = new NpgsqlCommand(
            "SELECT status, started_at, finished_at, concurrency, now() FROM fanout_runs WHERE run_id = @run AND distributed", connection))
        {
            command.Parameters.AddWithValue("run", runId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            status = reader.GetString(0);
            startedAt = new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero);
            finishedAt = reader.IsDBNull(2) ? new DateTimeOffset(reader.GetDateTime(4), TimeSpan.Zero) : new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero);
            concurrency = reader.GetInt32(3);
        }

        var context = await RunContext.LoadAsync(connection, runId, cancellationToken);
        var graph = context.Graph;
        var rows = new List<InstanceRow>();
        await using (var command = new NpgsqlCommand($"SELECT {InstanceRow.Columns} FROM fanout_instances WHERE run_id = @run", connection))
        {
            command.Parameters.AddWithValue("run", runId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(InstanceRow.Read(reader));
            }
        }

        var attempts = new Dictionary<string, List<AttemptReport>>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(
            "SELECT instance_id, attempt, started_at, coalesce(finished_at, started_at), outcome, error FROM fanout_attempts WHERE run_id = @run ORDER BY instance_id, attempt", connection))
        {
            command.Parameters.AddWithValue("run", runId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetString(0);
                if (!attempts.TryGetValue(id, out var list))
                {
                    attempts[id] = list = [];
                }

                list.Add(new AttemptReport
                {
                    Attempt = reader.GetInt32(1),
                    StartedAt = new DateTimeOffset(reader.GetDateTime(2), TimeSpan.Zero),
                    FinishedAt = new DateTimeOffset(reader.GetDateTime(3), TimeSpan.Zero),
                    Outcome = WireName<AttemptOutcome>.Parse(reader.GetString(4)),
                    Error = reader.IsDBNull(5) ? null : reader.GetString(5),
                });
            }
        }

        var instances = new List<Instance>(rows.Count);
        var byId = rows.ToDictionary(r => r.InstanceId, StringComparer.Ordinal);
        for (var v = 0; v < graph.Count; v++)
        {
            instances.Add(ToInstance(byId[graph[v].Id], v, -1, attempts));
        }

        foreach (var item in rows.Where(r => r.Role == InstanceRow.Item).OrderBy(r => r.Node).ThenBy(r => r.ItemIndex))
        {
            var group = instances[item.Node];
            group.Children ??= [];
            group.Children.Add(instances.Count);
            instances.Add(ToInstance(item, item.Node, item.Node, attempts));
        }

        var runStatus = RunStatuses.Parse(status) ?? RunStatus.Failed;
        var peak = PeakConcurrency(attempts.Values.SelectMany(a => a));
        return ReportBuilder.Build(graph, instances, runId, runStatus, startedAt, finishedAt ?? startedAt, concurrency, peak);
    }

    private static Instance ToInstance(InstanceRow row, int node, int group, Dictionary<string, List<AttemptReport>> attempts)
    {
        var instance = new Instance(node, row.InstanceId)
        {
            Index = row.ItemIndex ?? -1,
            Item = row.ItemJson is { } json ? JsonDocument.Parse(json).RootElement.Clone() : null,
            Group = group,
            State = row.State,
            Attempts = row.Attempts,
            ReadyAt = row.ReadyAt,
            StartedAt = row.StartedAt,
            FinishedAt = row.FinishedAt,
            WaitMs = row.WaitMs,
            RateLimited = row.RateLimited,
            Result = Results.Read(row.ResultJson),
            Error = row.Error,
            LastError = row.LastError,
            Items = row.ItemsJson is { } items ? JsonDocument.Parse(items).RootElement.Clone() : null,
        };
        if (row.Role != InstanceRow.Group)
        {
            instance.Account(row.Tokens, row.CostUsd);
        }

        instance.AttemptLog.AddRange(attempts.GetValueOrDefault(row.InstanceId) ?? []);
        return instance;
    }

    /// <summary>Most attempts running at one moment, over all workers.</summary>
    private static int PeakConcurrency(IEnumerable<AttemptReport> attempts)
    {
        var edges = attempts.SelectMany(a => new[] { (a.StartedAt, 1), (a.FinishedAt, -1) }).OrderBy(e => e.Item1).ThenBy(e => e.Item2).ToList();
        int running = 0, peak = 0;
        foreach (var (_, delta) in edges)
        {
            running += delta;
            peak = Math.Max(peak, running);
        }

        return peak;
    }

    /// <summary>Ids of the runs' instances by state, for progress lines.</summary>
    public static async Task<ImmutableDictionary<string, int>> CountsAsync(PostgresDatabase database, string runId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        await using var command = database.Source.CreateCommand("SELECT state, count(*) FROM fanout_instances WHERE run_id = @run AND role <> 'g' GROUP BY state");
        command.Parameters.AddWithValue("run", runId);
        var counts = ImmutableDictionary.CreateBuilder<string, int>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = (int)reader.GetInt64(1);
        }

        return counts.ToImmutable();
    }
}
