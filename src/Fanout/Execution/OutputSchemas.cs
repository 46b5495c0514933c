using System.Runtime.CompilerServices;
using Fanout.Schema;

namespace Fanout;

/// <summary>
/// The compiled <c>output.schema</c> of each prompt body, compiled once: every attempt, retry and fan-out item of a
/// task shares its <see cref="PromptBody"/> instance, and plan validation warms the same cache.
/// </summary>
internal static class OutputSchemas
{
    // Keyed by reference, so a body that is garbage collected takes its schema with it. Thread-safe.
    private static readonly ConditionalWeakTable<PromptBody, Compiled> Cache = new();

    /// <summary>The compiled schema of <paramref name="body"/>, or null when it has none.</summary>
    /// <exception cref="JsonSchemaException">The schema is invalid (the same error every time it is asked for).</exception>
    public static JsonSchema? For(PromptBody body)
    {
        if (body.Schema is null)
        {
            return null;
        }

        var compiled = Cache.GetValue(body, static b =>
        {
            try
            {
                return new Compiled(JsonSchema.Parse(b.Schema!.Value), null);
            }
            catch (JsonSchemaException e)
            {
                return new Compiled(null, e);
            }
        });
        return compiled.Schema ?? throw new JsonSchemaException(compiled.Error!.SchemaPath, compiled.Error.Message.Length > 0 ? Strip(compiled.Error) : "invalid schema", compiled.Error);
    }

    /// <summary>The exception's message without the schema path it already prefixes (the new exception adds it back).</summary>
    private static string Strip(JsonSchemaException e) =>
        e.SchemaPath.Length > 0 && e.Message.StartsWith(e.SchemaPath + ": ", StringComparison.Ordinal) ? e.Message[(e.SchemaPath.Length + 2)..] : e.Message;

    private sealed record Compiled(JsonSchema? Schema, JsonSchemaException? Error);
}
