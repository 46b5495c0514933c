using System.Text.Json;
using Fanout.Schema;

namespace Fanout;

public sealed partial class Scheduler
{
    // Each contract's schema, compiled on first use and kept for the run, by producer id.
    private Dictionary<string, List<(ContractDefinition Contract, JsonSchema Schema)>>? _contracts;

    /// <summary>
    /// The error of the first contract the producer's <paramref name="output"/> breaks, or null. Checked on the task's
    /// own output, before anyone reads it; a fan-out producer's children are not checked one by one.
    /// </summary>
    private string? ContractViolation(TaskDefinition task, JsonElement output)
    {
        if (_graph.Plan.Contracts.IsEmpty || task.Foreach is not null)
        {
            return null;
        }

        _contracts ??= _graph.Plan.Contracts
            .GroupBy(c => c.Producer, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(c => (c, JsonSchema.Parse(c.Schema))).ToList(), StringComparer.Ordinal);
        if (!_contracts.TryGetValue(task.Id, out var contracts))
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
