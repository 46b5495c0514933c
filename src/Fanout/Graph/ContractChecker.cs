using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fanout.Templates;

namespace Fanout;

/// <summary>
/// Contracts between tasks, checked twice. Statically: producer and consumers exist, each consumer lists the producer
/// in <c>needs</c> (directly: a contract is a promise between the two tasks, so the edge must be visible), the schema
/// compiles, and every <c>tasks.PRODUCER.output.X.Y</c> a consumer's templates read is a field the schema can provide.
/// At run time: the producer's output is validated against each schema (see <see cref="Violation"/>).
/// </summary>
internal static class ContractChecker
{
    /// <summary>What a run-time violation says after its prefix; the prompt repair note quotes the errors that follow.</summary>
    internal const string ViolatedMarker = ") violated: ";

    private const int ListedErrors = 10;

    public static IEnumerable<PlanDiagnostic> Check(PlanDefinition plan, IReadOnlyDictionary<string, TaskDefinition> byId, NameIndex ids)
    {
        foreach (var contract in plan.Contracts)
        {
            var prefix = $"contract '{contract.Name}': ";
            var producerExists = byId.ContainsKey(contract.Producer);
            if (!producerExists)
            {
                yield return new($"{prefix}unknown producer task '{contract.Producer}'{ids.DidYouMean(contract.Producer)}", contract.Locate("producer"));
            }

            // A file contract's schema is written by the producer at run time: there is nothing to compile yet.
            var schemaError = contract.File is null ? SchemaCache.For(contract).Error : null;
            var schemaCompiles = schemaError is null;
            if (!schemaCompiles)
            {
                yield return new($"{prefix}schema is invalid: {schemaError}", contract.Locate("schema"));
            }

            for (var i = 0; i < contract.Consumers.Length; i++)
            {
                var id = contract.Consumers[i];
                if (!byId.TryGetValue(id, out var consumer))
                {
                    yield return new($"{prefix}unknown consumer task '{id}'{ids.DidYouMean(id)}", contract.Locate($"consumers[{i}]"));
                }
                else if (producerExists && !consumer.Needs.Contains(contract.Producer))
                {
                    yield return new($"{prefix}consumer '{id}' must list the producer '{contract.Producer}' in needs", contract.Locate($"consumers[{i}]"));
                }
                else if (producerExists && schemaCompiles && contract.File is null)
                {
                    foreach (var problem in UnprovidedReads(contract, consumer))
                    {
                        yield return problem;
                    }
                }
            }
        }
    }

    /// <summary>The reads of <c>tasks.PRODUCER.output…</c> in the consumer's templates that the schema cannot provide.</summary>
    private static IEnumerable<PlanDiagnostic> UnprovidedReads(ContractDefinition contract, TaskDefinition consumer)
    {
        var templates = consumer.Body.Templates().ToList();
        if (consumer.Foreach?.Path is { } foreachPath)
        {
            templates.Add(("foreach", "{{" + foreachPath + "}}"));
        }

        foreach (var (field, template) in templates)
        {
            if (!TemplateEngine.IsTemplate(template) || TemplateEngine.SyntaxError(template) is not null)
            {
                continue; // the reference checker reports syntax errors
            }

            foreach (var reference in TemplateScanner.References(template).DistinctBy(r => r.Path))
            {
                var segments = PathExpression.Split(reference.Path);
                if (segments is not ["tasks", var id, "output", _, ..] || id != contract.Producer)
                {
                    continue;
                }

                var path = segments[3..];
                if (Missing(contract.Schema, contract.Schema, path, 0, 0) is { } detail)
                {
                    yield return new(
                        $"contract '{contract.Name}': task '{consumer.Id}' reads {reference.Path}, which the contract's schema does not provide ({detail})",
                        consumer.Locate(field));
                }
            }
        }
    }

    /// <summary>Null when <paramref name="schema"/> can provide <paramref name="path"/> from <paramref name="at"/> on; else why not.</summary>
    private static string? Missing(JsonElement schema, JsonElement root, string[] path, int at, int depth)
    {
        if (at == path.Length || depth > 64 || schema.ValueKind == JsonValueKind.True)
        {
            return null;
        }

        var level = Level(path, at);
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return schema.ValueKind == JsonValueKind.False ? $"{level} is never valid" : null;
        }

        if (schema.TryGetProperty("$ref", out var reference) && Resolve(root, reference) is { } target)
        {
            return Missing(target, root, path, at, depth + 1);
        }

        // Any branch of a combinator that provides the path is enough: the schema allows outputs that have it.
        var branchReasons = new List<string>();
        foreach (var keyword in (string[])["allOf", "anyOf", "oneOf"])
        {
            if (schema.TryGetProperty(keyword, out var branches) && branches.ValueKind == JsonValueKind.Array)
            {
                foreach (var branch in branches.EnumerateArray())
                {
                    if (Missing(branch, root, path, at, depth + 1) is not { } reason)
                    {
                        return null;
                    }

                    branchReasons.Add(reason);
                }
            }
        }

        var own = Own(schema, root, path, at, depth, level);
        return own switch
        {
            null => null,
            "" => branchReasons.Count > 0 ? branchReasons[0] : null, // unconstrained here: only the branches decide
            _ => own,
        };
    }

    /// <summary>This level's own keywords: null provided, "" says nothing about the segment, else the reason.</summary>
    private static string? Own(JsonElement schema, JsonElement root, string[] path, int at, int depth, string level)
    {
        var segment = path[at];
        if (schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
            && properties.TryGetProperty(segment, out var property))
        {
            return Missing(property, root, path, at + 1, depth + 1);
        }

        var isIndex = int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index);
        if (isIndex || segment == "length")
        {
            if (schema.TryGetProperty("prefixItems", out var prefixItems) && prefixItems.ValueKind == JsonValueKind.Array
                && isIndex && index < prefixItems.GetArrayLength())
            {
                return Missing(prefixItems[index], root, path, at + 1, depth + 1);
            }

            if (schema.TryGetProperty("items", out var items))
            {
                return segment == "length" ? null : Missing(items, root, path, at + 1, depth + 1);
            }
        }

        if (schema.TryGetProperty("patternProperties", out var patterns) && patterns.ValueKind == JsonValueKind.Object)
        {
            foreach (var pattern in patterns.EnumerateObject())
            {
                if (Matches(pattern.Name, segment))
                {
                    return Missing(pattern.Value, root, path, at + 1, depth + 1);
                }
            }
        }

        var named = properties.ValueKind == JsonValueKind.Object ? properties.EnumerateObject().Select(p => p.Name).ToList() : [];
        if (schema.TryGetProperty("additionalProperties", out var additional))
        {
            return additional.ValueKind == JsonValueKind.False
                ? Has(level, named)
                : Missing(additional, root, path, at + 1, depth + 1);
        }

        if (named.Count > 0)
        {
            return Has(level, named);
        }

        if (schema.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String
            && type.GetString() is { } single && single != "object" && !(single == "array" && isIndex))
        {
            return $"{level} is {(single is "array" or "integer" or "object" ? "an" : "a")} {single}";
        }

        return "";
    }

    /// <summary>How a message names the level being read: <c>output</c>, <c>user</c>, <c>roles[1]</c>, <c>user.address</c>.</summary>
    private static string Level(string[] path, int at)
    {
        if (at == 0)
        {
            return "output";
        }

        var text = new System.Text.StringBuilder();
        foreach (var segment in path[..at])
        {
            var index = segment.All(char.IsAsciiDigit);
            text.Append(index ? $"[{segment}]" : text.Length == 0 ? segment : "." + segment);
        }

        return text.ToString();
    }

    private static string Has(string level, List<string> named) =>
        named.Count == 0 ? $"{level} has no properties" : $"{level} has: {string.Join(", ", named)}";

    private static JsonElement? Resolve(JsonElement root, JsonElement reference)
    {
        if (reference.ValueKind != JsonValueKind.String || reference.GetString() is not { } text)
        {
            return null;
        }

        foreach (var prefix in (string[])["#/$defs/", "#/definitions/"])
        {
            if (text.StartsWith(prefix, StringComparison.Ordinal)
                && root.TryGetProperty(prefix[2..^1], out var defs) && defs.ValueKind == JsonValueKind.Object
                && defs.TryGetProperty(text[prefix.Length..], out var target))
            {
                return target;
            }
        }

        return null; // other references are not followed: accept rather than guess
    }

    private static bool Matches(string pattern, string name)
    {
        try
        {
            return Regex.IsMatch(name, pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// The producer's output against one contract at run time: null when it conforms, else the error that fails the
    /// attempt, naming the contract, both sides and the failing fields by JSON pointer.
    /// </summary>
    public static string? Violation(ContractDefinition contract, CompiledSchema schema, JsonElement output)
    {
        var errors = schema.Validate(output);
        if (errors.Count == 0)
        {
            return null;
        }

        var consumers = contract.Consumers.IsEmpty ? "no consumers" : string.Join(", ", contract.Consumers);
        return $"contract '{contract.Name}' ({contract.Producer} → {consumers}{ViolatedMarker}{SchemaError.Summarize(errors, ListedErrors)}";
    }
}
