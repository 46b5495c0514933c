using System.Text.Json;

namespace Fanout;

/// <summary>
/// A plan's contracts, checked on producers' outputs — one rule for every engine (the in-process scheduler and the
/// distributed PostgreSQL workers). Schemas are compiled once (see SchemaCache). Thread-safe: distributed workers
/// check outputs from concurrent attempts.
/// </summary>
public sealed class PlanContracts(PlanDefinition plan)
{
    private readonly Lock _lock = new();
    private Dictionary<string, List<(ContractDefinition Contract, CompiledSchema Schema)>>? _byProducer;

    /// <summary>
    /// The error of the first contract the producer's <paramref name="output"/> breaks, or null. Checked on the task's
    /// own output, before anyone reads it; a fan-out producer's children are not checked one by one.
    /// </summary>
    public string? Violation(TaskDefinition task, JsonElement output)
    {
        if (plan.Contracts.IsEmpty || task.Foreach is not null)
        {
            return null;
        }

        Dictionary<string, List<(ContractDefinition Contract, CompiledSchema Schema)>> byProducer;
        lock (_lock)
        {
            // A validated plan's schemas compile; Compile names the reason should one not.
            byProducer = _byProducer ??= plan.Contracts
                .GroupBy(c => c.Producer, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(c => (c, SchemaCache.For(c).Schema ?? CompiledSchema.Compile(c.Schema))).ToList(), StringComparer.Ordinal);
        }

        // Compiled schemas are thread-safe: concurrent attempts validate in parallel.
        return byProducer.TryGetValue(task.Id, out var contracts)
            ? contracts.Select(c => ContractChecker.Violation(c.Contract, c.Schema, output)).FirstOrDefault(v => v is not null)
            : null;
    }
}
