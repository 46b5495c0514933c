using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Fanout.Providers.Simulation;

namespace Fanout.Providers.Workers;

/// <summary>
/// Stands in for an agent CLI that is not installed: waits a plausible, deterministic time on the run's clock and
/// answers with output of the right shape — a sample of the contract's schema when the task produces a contract, a
/// small JSON object for <c>output: json</c>, else a line of text — each saying it is simulated where its shape lets it
/// (the text's prefix, a <c>simulated</c> field, and always the task's details). It renders the prompt first, so template errors
/// surface exactly as with the real worker.
/// </summary>
internal sealed class SimulatedWorker(string name, TimeProvider time) : IAgentWorker
{
    private static readonly LatencyModel Latency = LatencyModel.LogNormal(TimeSpan.FromSeconds(3), 0.4);

    public async ValueTask<TaskResult> RunAsync(TaskContext context, CancellationToken cancellationToken)
    {
        var body = (AgentBody)context.Task.Body;
        var prompt = context.Render(body.Prompt);
        var random = new Random(Seed(name, context.InstanceId, prompt));
        await Task.Delay(Latency.Sample(random), time, cancellationToken);
        var contract = context.Plan.Contracts.FirstOrDefault(c => c.Producer == context.Task.Id);
        var output = contract is { File: null } ? Marked(contract, JsonSerializer.SerializeToElement(SchemaSampler.Sample(contract.Schema, random)))
            : body.Output == OutputFormat.Json ? JsonSerializer.SerializeToElement(new { worker = name, task = context.InstanceId, status = "done", simulated = true })
            : JsonSerializer.SerializeToElement($"[simulated {name}] {context.InstanceId}: done ({prompt.Length} characters of prompt)");
        return new TaskResult
        {
            Output = output,
            Details = JsonSerializer.SerializeToElement(new { worker = name, simulated = true }),
        };
    }

    /// <summary>The sample with <c>"simulated": true</c> added, when it is an object the contract still accepts so.</summary>
    private static JsonElement Marked(ContractDefinition contract, JsonElement sample)
    {
        if (sample.ValueKind != JsonValueKind.Object || System.Text.Json.Nodes.JsonNode.Parse(sample.GetRawText()) is not System.Text.Json.Nodes.JsonObject node)
        {
            return sample;
        }

        node["simulated"] = true;
        var marked = JsonSerializer.SerializeToElement(node);
        return CompiledSchema.Compile(contract.Schema).IsValid(marked) ? marked : sample;
    }

    private static int Seed(string worker, string instance, string prompt) =>
        BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes($"{worker}\n{instance}\n{prompt}")));
}
