using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fanout;

/// <summary>
/// Combines given input values with the plan's declared inputs: rejects unknown names, fills defaults, requires the
/// rest, and validates each value against its declared JSON Schema.
/// </summary>
public static class InputResolver
{
    /// <summary>The resolved inputs object; throws <see cref="PlanException"/> listing every problem.</summary>
    public static JsonElement Resolve(PlanDefinition plan, IReadOnlyDictionary<string, JsonElement> given)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(given);
        var problems = new List<PlanDiagnostic>();
        var declared = plan.Inputs.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var name in given.Keys.Where(n => !declared.ContainsKey(n)))
        {
            problems.Add(new($"unknown input '{name}'{Names.DidYouMean(name, declared.Keys)}; the plan declares: {string.Join(", ", declared.Keys.DefaultIfEmpty("(none)"))}"));
        }

        var result = new JsonObject();
        foreach (var input in plan.Inputs)
        {
            JsonElement value;
            if (given.TryGetValue(input.Name, out var v))
            {
                value = v;
            }
            else if (input.Default is { } d)
            {
                value = d;
            }
            else
            {
                problems.Add(new($"input '{input.Name}' is required (pass --input {input.Name}=VALUE)", input.Location));
                continue;
            }

            if (TypeProblem(input, value) is { } problem)
            {
                problems.Add(new(problem, input.Location));
            }

            result[input.Name] = JsonNode.Parse(value.GetRawText());
        }

        return problems.Count > 0 ? throw new PlanException(problems) : JsonSerializer.SerializeToElement(result);
    }

    private static string? TypeProblem(InputDefinition input, JsonElement value)
    {
        if (input.Schema.ValueKind is not (JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False))
        {
            return null;
        }

        var (schema, error) = SchemaCache.For(input);
        if (schema is null)
        {
            return $"input '{input.Name}' has an invalid schema: {error}";
        }

        var errors = schema.Validate(value);
        return errors.Count == 0
            ? null
            : $"input '{input.Name}' " + string.Join("; ", errors.Select(e => e.InstancePath.Length == 0 ? e.Message : e.ToString()));
    }

    /// <summary>The JSON Schema type name of a value (<c>integer</c> for whole numbers).</summary>
    public static string JsonTypeOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => value.TryGetInt64(out _) || (value.TryGetDouble(out var d) && Math.Floor(d) == d) ? "integer" : "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };
}
