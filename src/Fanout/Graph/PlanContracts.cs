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
            byProducer = _byProducer ??= plan.Contracts.Where(c => c.File is null)
                .GroupBy(c => c.Producer, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(c => (c, SchemaCache.For(c).Schema ?? CompiledSchema.Compile(c.Schema))).ToList(), StringComparer.Ordinal);
        }

        // Compiled schemas are thread-safe: concurrent attempts validate in parallel.
        return byProducer.TryGetValue(task.Id, out var contracts)
            ? contracts.Select(c => ContractChecker.Violation(c.Contract, c.Schema, output)).FirstOrDefault(v => v is not null)
            : null;
    }

    /// <summary>
    /// The error of a file contract's consumer: what <paramref name="consumer"/> produced (<paramref name="produced"/>,
    /// its contract file or its output) checked against the schema the producer wrote; null when it conforms. An
    /// invalid schema is the producer's fault and says so.
    /// </summary>
    public static string? ConsumerViolation(ContractDefinition contract, string consumer, JsonElement schema, JsonElement produced)
    {
        ArgumentNullException.ThrowIfNull(contract);
        var what = contract.ConsumerFiles.TryGetValue(consumer, out var file) ? file : "its output";
        if (!CompiledSchema.TryCompile(schema, out var compiled, out var error))
        {
            return $"contract '{contract.Name}': the schema '{contract.File}' that {contract.Producer} wrote is invalid: {error}";
        }

        var errors = compiled.Validate(produced);
        return errors.Count == 0 ? null
            : $"contract '{contract.Name}' ({contract.Producer} → {consumer}) violated by {what}: {SchemaError.Summarize(errors, 10)}";
    }
}
