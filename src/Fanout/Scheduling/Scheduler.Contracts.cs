using System.Text.Json;

namespace Fanout;

public sealed partial class Scheduler
{
    private PlanContracts? _contracts;

    /// <summary>The error of the first contract the producer's <paramref name="output"/> breaks, or null (see
    /// <see cref="PlanContracts"/>).</summary>
    private string? ContractViolation(TaskDefinition task, JsonElement output) =>
        (_contracts ??= new PlanContracts(_graph.Plan)).Violation(task, output);
}
