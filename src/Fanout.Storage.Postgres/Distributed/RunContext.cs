using System.Text.Json;
using Fanout.Plans;
using Npgsql;

namespace Fanout.Storage.Postgres.Distributed;

/// <summary>What every worker knows of one submitted run, rebuilt from its row: the plan (from the snapshot taken at
/// submission, so workers need not have the file) and how the run is to be run.</summary>
internal sealed class RunContext
{
    public required string RunId { get; init; }

    public required TaskGraph Graph { get; init; }

    public JsonElement Inputs { get; init; }

    public bool FailFast { get; init; }

    public int Concurrency { get; init; }

    /// <summary>Retry jitter. Seeded from the run's seed, though several workers draw from their own copies.</summary>
    public required Random Random { get; init; }

    public static async Task<RunContext> LoadAsync(NpgsqlConnection connection, string runId, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT plan_text, plan_path, base_directory, inputs_json, concurrency, fail_fast, seed FROM fanout_runs WHERE run_id = @run", connection);
        command.Parameters.AddWithValue("run", runId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new InvalidOperationException($"no run '{runId}' in the store");
        }

        var planPath = reader.IsDBNull(1) ? "plan.yaml" : reader.GetString(1);
        var graph = PlanLoader.Compile(reader.GetString(0), planPath, reader.IsDBNull(2) ? null : reader.GetString(2));
        return new RunContext
        {
            RunId = runId,
            Graph = graph,
            Inputs = reader.IsDBNull(3) ? default : JsonDocument.Parse(reader.GetString(3)).RootElement.Clone(),
            Concurrency = reader.IsDBNull(4) ? graph.Plan.Concurrency ?? RunOptions.DefaultConcurrency : reader.GetInt32(4),
            FailFast = reader.GetBoolean(5),
            Random = reader.IsDBNull(6) ? new Random() : new Random(reader.GetInt32(6)),
        };
    }
}
