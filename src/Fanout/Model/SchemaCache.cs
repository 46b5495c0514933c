using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Fanout;

/// <summary>
/// The plan's schemas, each compiled once: an output schema is shared by every attempt, retry and fan-out item of
/// its task, a contract's by every output it checks, and plan validation warms the same entries the run reads.
/// </summary>
internal static class SchemaCache
{
    // Keyed by the owning definition's reference, so a plan that is garbage collected takes its schemas with it.
    private static readonly ConditionalWeakTable<object, Entry> Entries = new();

    /// <summary>The task's compiled <c>output.schema</c> (null when it has none), or why it does not compile.</summary>
    public static (CompiledSchema? Schema, string? Error) For(PromptBody body) =>
        body.Schema is { } schema ? For(body, schema) : (null, null);

    /// <summary>The contract's compiled schema, or why it does not compile.</summary>
    public static (CompiledSchema? Schema, string? Error) For(ContractDefinition contract) => For(contract, contract.Schema);

    /// <summary>The input's compiled schema, or why it does not compile.</summary>
    public static (CompiledSchema? Schema, string? Error) For(InputDefinition input) => For(input, input.Schema);

    private static (CompiledSchema? Schema, string? Error) For(object owner, JsonElement schema)
    {
        var entry = Entries.GetValue(owner, _ => CompiledSchema.TryCompile(schema, out var compiled, out var error) ? new(compiled, null) : new(null, error));
        return (entry.Schema, entry.Error);
    }

    private sealed record Entry(CompiledSchema? Schema, string? Error);
}
