using System.Text.Json;
using Fanout.Schema;

namespace Fanout;

/// <summary>
/// A plan's contracts, checked on producers' outputs — one rule for every engine (the in-process scheduler and the
/// distributed PostgreSQL workers). Schemas are compiled on first use and kept. Thread-safe: distributed workers
/// check outputs from concurrent attempts.
/// </summary>
internal sealed class PlanContracts(PlanDefinition plan)
{
    private readonly Lock _lock = new();
    private Dictionary<string, List<(ContractDefinition Contract, JsonSchema Schema)>>? _byProducer;

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

        lock (_lock)
        {
            _byProducer ??= plan.Contracts
                .GroupBy(c => c.Producer, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(c => (c, JsonSchema.Parse(c.Schema))).ToList(), StringComparer.Ordinal);
            if (!_byProducer.TryGetValue(task.Id, out var contracts))
            {
                return null;
            }

            foreach (var (contract, schema) in contracts)
            {
                if (ContractChecker.Violation(contract, schema, output) is { } violation)
                {
                    return violation;
                }
            }

            return null;
        }
    }
}
