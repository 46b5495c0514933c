using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Fanout.Tests.Providers;

/// <summary>
/// A tiny JSON Schema checker for the keywords <c>SchemaSampler</c> generates (no validator package is available).
/// Returns the list of violations with their JSON paths; empty means the value conforms.
/// </summary>
internal sealed class SchemaConformance(JsonNode root)
{
    private readonly List<string> _errors = [];

    public static List<string> Check(string schema, JsonNode? value)
    {
        var root = JsonNode.Parse(schema)!;
        var checker = new SchemaConformance(root);
        checker.Validate(root, value is null ? null : JsonNode.Parse(value.ToJsonString()), "$");
        return checker._errors;
    }

    private bool Valid(JsonNode? schema, JsonNode? value)
    {
        var sub = new SchemaConformance(root);
        sub.Validate(schema, value, "$");
        return sub._errors.Count == 0;
    }

    private void Validate(JsonNode? schema, JsonNode? value, string path)
    {
        if (schema is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            if (!b.GetValue<bool>())
            {
                _errors.Add($"{path}: false schema");
            }

            return;
        }

        if (schema is not JsonObject s)
        {
            return;
        }

        if (s["$ref"] is JsonValue r)
        {
            var target = root;
            foreach (var token in r.GetValue<string>()[1..].Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                target = target![token];
            }

            Validate(target, value, path);
        }

        if (s["allOf"] is JsonArray all)
        {
            foreach (var part in all)
            {
                Validate(part, value, path);
            }
        }

        if (s["anyOf"] is JsonArray any && !any.Any(part => Valid(part, value)))
        {
            _errors.Add($"{path}: matches no anyOf branch");
        }

        if (s["oneOf"] is JsonArray one && one.Count(part => Valid(part, value)) != 1)
        {
            _errors.Add($"{path}: must match exactly one oneOf branch, matches {one.Count(part => Valid(part, value))}");
        }

        if (s["const"] is { } constant && !JsonNode.DeepEquals(constant, value))
        {
            _errors.Add($"{path}: not the const");
        }

        if (s["enum"] is JsonArray options && !options.Any(o => JsonNode.DeepEquals(o, value)))
        {
            _errors.Add($"{path}: {value?.ToJsonString()} not in enum");
        }

        if (s["type"] is { } type)
        {
            var allowed = type is JsonArray a ? a.Select(t => t!.GetValue<string>()).ToList() : [type.GetValue<string>()];
            var actual = TypeOf(value);
            if (!allowed.Contains(actual) && !(actual == "integer" && allowed.Contains("number")))
            {
                _errors.Add($"{path}: type {actual}, expected {string.Join("|", allowed)}");
                return;
            }
        }

        switch (value)
        {
            case JsonObject o:
                CheckObject(s, o, path);
                break;
            case JsonArray array:
                CheckArray(s, array, path);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                CheckString(s, v.GetValue<string>(), path);
                break;
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                CheckNumber(s, v.GetValue<decimal>(), path);
                break;
        }
    }

    private void CheckObject(JsonObject s, JsonObject o, string path)
    {
        var properties = s["properties"] as JsonObject ?? [];
        foreach (var name in (s["required"] as JsonArray ?? []).Select(n => n!.GetValue<string>()))
        {
            if (!o.ContainsKey(name))
            {
                _errors.Add($"{path}: missing required '{name}'");
            }
        }

        foreach (var (name, child) in o)
        {
            if (properties[name] is { } propertySchema)
            {
                Validate(propertySchema, child, $"{path}.{name}");
            }
            else if (s["additionalProperties"] is { } additional)
            {
                Validate(additional, child, $"{path}.{name}");
            }
        }

        if (s["minProperties"] is { } min && o.Count < min.GetValue<int>())
        {
            _errors.Add($"{path}: fewer than minProperties");
        }

        if (s["maxProperties"] is { } max && o.Count > max.GetValue<int>())
        {
            _errors.Add($"{path}: more than maxProperties");
        }
    }

    private void CheckArray(JsonObject s, JsonArray array, string path)
    {
        var prefix = s["prefixItems"] as JsonArray ?? [];
        for (var i = 0; i < array.Count; i++)
        {
            var itemSchema = i < prefix.Count ? prefix[i] : s["items"];
            if (itemSchema is not null)
            {
                Validate(itemSchema, array[i], $"{path}[{i}]");
            }
        }

        if (s["minItems"] is { } min && array.Count < min.GetValue<int>())
        {
            _errors.Add($"{path}: {array.Count} items < minItems {min}");
        }

        if (s["maxItems"] is { } max && array.Count > max.GetValue<int>())
        {
            _errors.Add($"{path}: {array.Count} items > maxItems {max}");
        }

        if (s["uniqueItems"] is JsonValue u && u.GetValue<bool>()
            && array.Select(x => x?.ToJsonString()).Distinct().Count() != array.Count)
        {
            _errors.Add($"{path}: items not unique");
        }
    }

    private void CheckString(JsonObject s, string text, string path)
    {
        if (s["minLength"] is { } min && text.Length < min.GetValue<int>())
        {
            _errors.Add($"{path}: '{text}' shorter than {min}");
        }

        if (s["maxLength"] is { } max && text.Length > max.GetValue<int>())
        {
            _errors.Add($"{path}: '{text}' longer than {max}");
        }

        if (s["pattern"] is { } pattern && !Regex.IsMatch(text, pattern.GetValue<string>()))
        {
            _errors.Add($"{path}: '{text}' does not match {pattern}");
        }

        var ok = s["format"]?.GetValue<string>() switch
        {
            "date-time" => DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _) && text.Contains('T'),
            "date" => DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
            "email" => Regex.IsMatch(text, @"^[^@\s]+@[^@\s]+\.[a-z]+$"),
            "uri" or "url" => Uri.TryCreate(text, UriKind.Absolute, out _),
            "uuid" => Guid.TryParseExact(text, "D", out _),
            _ => true,
        };
        if (!ok)
        {
            _errors.Add($"{path}: '{text}' is not a valid {s["format"]}");
        }
    }

    private void CheckNumber(JsonObject s, decimal n, string path)
    {
        if (s["minimum"] is { } min && n < min.GetValue<decimal>())
        {
            _errors.Add($"{path}: {n} < minimum {min}");
        }

        if (s["maximum"] is { } max && n > max.GetValue<decimal>())
        {
            _errors.Add($"{path}: {n} > maximum {max}");
        }

        if (s["exclusiveMinimum"] is { } emin && n <= emin.GetValue<decimal>())
        {
            _errors.Add($"{path}: {n} <= exclusiveMinimum {emin}");
        }

        if (s["exclusiveMaximum"] is { } emax && n >= emax.GetValue<decimal>())
        {
            _errors.Add($"{path}: {n} >= exclusiveMaximum {emax}");
        }

        if (s["multipleOf"] is { } m && n % m.GetValue<decimal>() != 0)
        {
            _errors.Add($"{path}: {n} not a multiple of {m}");
        }
    }

    private static string TypeOf(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => v.GetValue<decimal>() == Math.Floor(v.GetValue<decimal>()) ? "integer" : "number",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            _ => "null",
        },
        _ => "unknown",
    };
}
