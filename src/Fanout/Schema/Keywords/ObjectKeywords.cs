using System.Text.Json;
using System.Text.RegularExpressions;

namespace Fanout.Schema;

/// <summary>
/// properties, patternProperties, additionalProperties, propertyNames, required, dependentRequired,
/// dependentSchemas, minProperties, maxProperties.
/// </summary>
internal static class ObjectKeywords
{
    public static void Compile(SchemaObject s, List<Keyword> into)
    {
        var properties = s.Has("properties") ? s.SchemaMap("properties") : [];
        if (properties.Length > 0)
        {
            into.Add(new PropertiesKeyword(s.PathOf("properties"), properties.ToDictionary(p => p.Name, p => p.Schema, StringComparer.Ordinal)));
        }

        var patterns = s.Has("patternProperties")
            ? s.SchemaMap("patternProperties")
                .Select(p => new PatternSchema(p.Name, s.Regex(p.Name, JsonPointer.Append(s.PathOf("patternProperties"), p.Name)), p.Schema))
                .ToArray()
            : [];
        if (patterns.Length > 0)
        {
            into.Add(new PatternPropertiesKeyword(s.PathOf("patternProperties"), patterns));
        }

        if (s.Has("additionalProperties"))
        {
            var known = properties.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            into.Add(new AdditionalPropertiesKeyword(s.PathOf("additionalProperties"), s.Subschema("additionalProperties"), known, patterns));
        }

        if (s.Has("propertyNames"))
        {
            into.Add(new PropertyNamesKeyword(s.PathOf("propertyNames"), s.Subschema("propertyNames")));
        }

        if (s.TryGet("required", out var required))
        {
            into.Add(new RequiredKeyword(s.PathOf("required"), s.StringArray("required", required), trigger: null));
        }

        if (s.TryGet("dependentRequired", out var dependentRequired))
        {
            if (dependentRequired.ValueKind != JsonValueKind.Object)
            {
                throw s.Invalid("dependentRequired", "dependentRequired must be an object whose values are arrays of strings");
            }

            foreach (var dependency in dependentRequired.EnumerateObject())
            {
                var path = JsonPointer.Append(s.PathOf("dependentRequired"), dependency.Name);
                into.Add(new RequiredKeyword(path, s.StringArray("dependentRequired", dependency.Value), dependency.Name));
            }
        }

        if (s.Has("dependentSchemas"))
        {
            into.Add(new DependentSchemasKeyword(s.PathOf("dependentSchemas"), s.SchemaMap("dependentSchemas")));
        }

        if (s.Has("minProperties"))
        {
            into.Add(new CountKeyword(s.PathOf("minProperties"), s.NonNegativeInteger("minProperties"), isMinimum: true));
        }

        if (s.Has("maxProperties"))
        {
            into.Add(new CountKeyword(s.PathOf("maxProperties"), s.NonNegativeInteger("maxProperties"), isMinimum: false));
        }
    }

    private sealed record PatternSchema(string Pattern, Regex Regex, SchemaNode Schema);

    private static bool Annotate(Evaluation evaluation, string name)
    {
        evaluation.Annotations?.AddProperty(name);
        return true;
    }

    private sealed class PropertiesKeyword(string path, Dictionary<string, SchemaNode> schemas) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.Object)
            {
                return true;
            }

            var valid = true;
            foreach (var property in instance.EnumerateObject())
            {
                if (!schemas.TryGetValue(property.Name, out var schema))
                {
                    continue;
                }

                evaluation.Annotations?.AddProperty(property.Name);
                if (!evaluation.Child(schema, property.Value, at.Property(property.Name)))
                {
                    valid = false;
                    if (evaluation.IsQuiet)
                    {
                        break;
                    }
                }
            }

            return valid;
        }
    }

    private sealed class PatternPropertiesKeyword(string path, PatternSchema[] patterns) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.Object)
            {
                return true;
            }

            var valid = true;
            foreach (var property in instance.EnumerateObject())
            {
                foreach (var pattern in patterns)
                {
                    var matches = EcmaRegex.TryMatch(pattern.Regex, property.Name);
                    var ok = matches switch
                    {
                        true => Annotate(evaluation, property.Name) && evaluation.Child(pattern.Schema, property.Value, at.Property(property.Name)),
                        false => true,
                        null => Fail(evaluation, at.Property(property.Name), $"matching the name against the pattern '{pattern.Pattern}' took too long"),
                    };
                    if (!ok)
                    {
                        valid = false;
                        if (evaluation.IsQuiet)
                        {
                            return false;
                        }
                    }
                }
            }

            return valid;
        }
    }

    private sealed class AdditionalPropertiesKeyword(string path, SchemaNode schema, HashSet<string> known, PatternSchema[] patterns)
        : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.Object)
            {
                return true;
            }

            var valid = true;
            foreach (var property in instance.EnumerateObject())
            {
                // A pattern that timed out (null) counts as a match: its own keyword already reports the timeout.
                if (known.Contains(property.Name) || patterns.Any(p => EcmaRegex.TryMatch(p.Regex, property.Name) != false))
                {
                    continue;
                }

                evaluation.Annotations?.AddProperty(property.Name);
                var ok = schema.IsFalse
                    ? Fail(evaluation, at, $"property '{property.Name}' is not allowed")
                    : evaluation.Child(schema, property.Value, at.Property(property.Name));
                if (!ok)
                {
                    valid = false;
                    if (evaluation.IsQuiet)
                    {
                        break;
                    }
                }
            }

            return valid;
        }
    }

    private sealed class PropertyNamesKeyword(string path, SchemaNode schema) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.Object)
            {
                return true;
            }

            var valid = true;
            foreach (var property in instance.EnumerateObject())
            {
                var name = JsonValues.StringElement(property.Name);
                if (evaluation.IsQuiet)
                {
                    if (!evaluation.Child(schema, name, at))
                    {
                        return false;
                    }

                    continue;
                }

                // Errors about a name are reported at the object, naming the property, not at a path into the name.
                foreach (var error in evaluation.Capture(schema, name, at))
                {
                    valid = Fail(evaluation, at, $"property name '{property.Name}' is invalid: {error.Message}");
                }
            }

            return valid;
        }
    }

    private sealed class RequiredKeyword(string path, string[] names, string? trigger) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.Object || (trigger is not null && !instance.TryGetProperty(trigger, out _)))
            {
                return true;
            }

            var valid = true;
            foreach (var name in names)
            {
                if (!instance.TryGetProperty(name, out _))
                {
                    valid = Fail(evaluation, at, trigger is null
                        ? $"missing required property '{name}'"
                        : $"missing property '{name}', required when '{trigger}' is present");
                    if (evaluation.IsQuiet)
                    {
                        break;
                    }
                }
            }

            return valid;
        }
    }

    private sealed class DependentSchemasKeyword(string path, (string Name, SchemaNode Schema)[] dependencies) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.Object)
            {
                return true;
            }

            var valid = true;
            foreach (var (name, schema) in dependencies)
            {
                if (instance.TryGetProperty(name, out _) && !schema.Validate(instance, at, evaluation))
                {
                    valid = false;
                    if (evaluation.IsQuiet)
                    {
                        break;
                    }
                }
            }

            return valid;
        }
    }

    private sealed class CountKeyword(string path, int limit, bool isMinimum) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.Object)
            {
                return true;
            }

            var count = instance.EnumerateObject().Count();
            return (isMinimum ? count >= limit : count <= limit)
                || Fail(evaluation, at, $"must have at {(isMinimum ? "least" : "most")} {limit} {JsonValues.Plural(limit, "property", "properties")}, got {count}");
        }
    }
}
