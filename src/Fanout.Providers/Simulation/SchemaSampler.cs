using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Fanout.Providers.Simulation;

/// <summary>
/// Generates a JSON value that conforms to a JSON Schema (draft 2020-12), for synthetic LLM answers. Covers the
/// keywords structured-output schemas use: <c>type</c> (also arrays of types), <c>properties</c>, <c>required</c>
/// (always present; optional properties by coin flip), <c>additionalProperties</c>, <c>min/maxProperties</c>,
/// <c>items</c>, <c>prefixItems</c>, <c>min/maxItems</c> (1..4 items by default), <c>uniqueItems</c>, <c>enum</c>,
/// <c>const</c>, <c>minimum</c>/<c>maximum</c>/<c>exclusive*</c>, <c>multipleOf</c>, <c>min/maxLength</c>,
/// <c>pattern</c> (simple regular expressions; others fall back to a word), <c>format</c> (date-time, date, time,
/// email, uri, uuid, hostname, ipv4), <c>anyOf</c>/<c>oneOf</c> (one branch), <c>allOf</c> (merged) and
/// <c>$ref</c> to <c>#/…</c> pointers such as <c>#/$defs/x</c>. Strings are plausible words shaped by the property
/// name (a <c>title</c>, a <c>url</c>, <c>html</c>…). There is no JSON Schema library in the package mirror; this is
/// the small piece that stands in for a generator such as json-schema-faker.
/// </summary>
public sealed class SchemaSampler
{
    private const int MaxDepth = 8;
    private const int NodeBudget = 400;
    private const decimal DefaultSpan = 100;
    private const decimal Limit = 1_000_000_000_000m;

    // Hard bounds on what one answer may hold: a schema that demands more (minItems: 100000000) is refused rather
    // than allocated, since no model answers with a hundred million items either.
    private const int MaxCount = 1000;
    private const int MaxLength = 100_000;
    private const int MaxNodes = 100_000;

    private readonly JsonNode _root;
    private readonly Random _random;
    private int _nodes;

    /// <summary>A sampler for <paramref name="schema"/> drawing from <paramref name="random"/>.</summary>
    public SchemaSampler(JsonElement schema, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        _root = JsonNode.Parse(schema.GetRawText()) ?? JsonValue.Create(true);
        _random = random;
    }

    /// <summary>One value conforming to <paramref name="schema"/>.</summary>
    public static JsonNode? Sample(JsonElement schema, Random random) => new SchemaSampler(schema, random).Next();

    /// <summary>The next value.</summary>
    public JsonNode? Next() => Generate(_root, null, 0);

    /// <summary>Past this depth, or once the value is large, only what the schema requires is generated.</summary>
    private bool Lean(int depth) => depth >= MaxDepth || _nodes > NodeBudget;

    private JsonNode? Generate(JsonNode? schema, string? name, int depth)
    {
        if (++_nodes > MaxNodes)
        {
            throw new SimulationRejectedException($"the response schema requires an answer of more than {MaxNodes} values, more than the simulator generates");
        }

        if (depth > MaxDepth * 8)
        {
            return null; // a schema that requires infinite recursion has no finite instance
        }

        if (schema is not JsonObject)
        {
            // true (or a missing schema) accepts anything; false accepts nothing, so null is as good as any.
            return schema is JsonValue v && v.TryGetValue<bool>(out var b) && !b ? null : JsonValue.Create(Vocabulary.ForName(_random, name));
        }

        var s = Flatten((JsonObject)schema, depth);
        if (s["const"] is { } constant)
        {
            return constant.DeepClone();
        }

        if (s["enum"] is JsonArray { Count: > 0 } options)
        {
            return options[_random.Next(options.Count)]?.DeepClone();
        }

        return PickType(s) switch
        {
            "object" => GenerateObject(s, depth),
            "array" => GenerateArray(s, name, depth),
            "integer" => JsonValue.Create(GenerateNumber(s, integer: true)),
            "number" => JsonValue.Create(GenerateNumber(s, integer: false)),
            "boolean" => JsonValue.Create(_random.Next(2) == 1),
            "null" => null,
            _ => JsonValue.Create(GenerateString(s, name)),
        };
    }

    /// <summary>Resolves <c>$ref</c>, merges <c>allOf</c> and picks one branch of <c>anyOf</c>/<c>oneOf</c>, until none is left.</summary>
    private JsonObject Flatten(JsonObject schema, int depth)
    {
        var s = schema;
        for (var guard = 0; guard < 32; guard++)
        {
            if (s["$ref"] is JsonValue reference && reference.TryGetValue<string>(out var pointer))
            {
                var target = Resolve(pointer) as JsonObject ?? new JsonObject();
                s = Merge(Without(s, "$ref"), target);
            }
            else if (s["allOf"] is JsonArray all)
            {
                var merged = Without(s, "allOf");
                foreach (var part in all.OfType<JsonObject>())
                {
                    merged = Merge(merged, part);
                }

                s = merged;
            }
            else if ((s["anyOf"] ?? s["oneOf"]) is JsonArray { Count: > 0 } branches)
            {
                var keyword = s["anyOf"] is not null ? "anyOf" : "oneOf";
                var choices = branches.OfType<JsonObject>().ToList();
                // Deep in recursive schemas prefer a branch that does not recurse again, so generation terminates.
                if (Lean(depth) && choices.FirstOrDefault(c => !c.ToJsonString().Contains("$ref", StringComparison.Ordinal)) is { } leaf)
                {
                    choices = [leaf];
                }

                s = choices.Count == 0 ? Without(s, keyword) : Merge(Without(s, keyword), choices[_random.Next(choices.Count)]);
            }
            else
            {
                return s;
            }
        }

        return s;
    }

    private JsonNode? Resolve(string pointer)
    {
        if (!pointer.StartsWith('#'))
        {
            return null;
        }

        JsonNode? node = _root;
        foreach (var raw in pointer[1..].Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var token = Uri.UnescapeDataString(raw).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            node = node switch
            {
                JsonObject o => o[token],
                JsonArray a when int.TryParse(token, out var i) && i >= 0 && i < a.Count => a[i],
                _ => null,
            };
        }

        return node;
    }

    private static JsonObject Without(JsonObject schema, string keyword)
    {
        var copy = (JsonObject)schema.DeepClone();
        copy.Remove(keyword);
        return copy;
    }

    /// <summary>The schema both <paramref name="a"/> and <paramref name="b"/> describe, approximately (allOf).</summary>
    private static JsonObject Merge(JsonObject a, JsonObject b)
    {
        var merged = (JsonObject)a.DeepClone();
        foreach (var (key, value) in b)
        {
            var existing = merged[key];
            if (existing is null || value is null)
            {
                merged[key] = value?.DeepClone();
                continue;
            }

            merged[key] = key switch
            {
                "properties" when existing is JsonObject ep && value is JsonObject vp => MergeProperties(ep, vp),
                "required" => new JsonArray([.. Strings(existing).Union(Strings(value)).Select(r => (JsonNode?)JsonValue.Create(r))]),
                "type" => IntersectTypes(existing, value),
                "minimum" or "exclusiveMinimum" or "minLength" or "minItems" or "minProperties" => Max(existing, value),
                "maximum" or "exclusiveMaximum" or "maxLength" or "maxItems" or "maxProperties" => Min(existing, value),
                "enum" when existing is JsonArray ea && value is JsonArray va =>
                    new JsonArray([.. ea.Where(x => va.Any(y => JsonNode.DeepEquals(x, y))).Select(x => x?.DeepClone())]),
                "allOf" when existing is JsonArray ea && value is JsonArray va =>
                    new JsonArray([.. ea.Select(x => x?.DeepClone()), .. va.Select(x => x?.DeepClone())]),
                "anyOf" or "oneOf" or "$ref" => Defer(merged, key, existing, value),
                _ => value.DeepClone(),
            };
        }

        return merged;
    }

    /// <summary>Both sides have their own anyOf/oneOf/$ref: keep one in place and the other under allOf, flattened later.</summary>
    private static JsonNode Defer(JsonObject merged, string key, JsonNode existing, JsonNode value)
    {
        var all = merged["allOf"] as JsonArray ?? [];
        all.Add(new JsonObject { [key] = existing.DeepClone() });
        merged["allOf"] = all;
        return value.DeepClone();
    }

    private static JsonObject MergeProperties(JsonObject a, JsonObject b)
    {
        var merged = (JsonObject)a.DeepClone();
        foreach (var (name, schema) in b)
        {
            merged[name] = merged[name] is JsonObject left && schema is JsonObject right ? Merge(left, right) : schema?.DeepClone();
        }

        return merged;
    }

    private static JsonNode IntersectTypes(JsonNode a, JsonNode b)
    {
        var left = Strings(a).ToList();
        var right = Strings(b).ToList();
        var both = left.Where(t => right.Contains(t) || (t == "integer" && right.Contains("number"))).ToList();
        both.AddRange(right.Where(t => t == "integer" && left.Contains("number") && !both.Contains(t)));
        return both.Count == 1 ? JsonValue.Create(both[0]) : new JsonArray([.. both.Select(t => (JsonNode?)JsonValue.Create(t))]);
    }

    private static JsonNode Max(JsonNode a, JsonNode b) => Number(a) >= Number(b) ? a.DeepClone() : b.DeepClone();

    private static JsonNode Min(JsonNode a, JsonNode b) => Number(a) <= Number(b) ? a.DeepClone() : b.DeepClone();

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonArray array => array.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>(),
        JsonValue value when value.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    private static decimal? Number(JsonNode? node)
    {
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        var d = value.GetValue<double>();
        return (decimal)Math.Clamp(d, (double)-Limit, (double)Limit);
    }

    /// <summary>A lower bound of the schema (<paramref name="fallback"/> when absent), refused past <paramref name="max"/>.</summary>
    private static decimal Bounded(JsonObject s, string keyword, int max, int fallback)
    {
        var value = Number(s[keyword]) ?? fallback;
        return value <= max
            ? Math.Max(0, value)
            : throw new SimulationRejectedException($"the response schema's {keyword}: {value} is more than the simulator generates (at most {max})");
    }

    private string PickType(JsonObject s)
    {
        var types = Strings(s["type"]).ToList();
        if (types.Count == 0)
        {
            return s.ContainsKey("properties") || s.ContainsKey("required") || s.ContainsKey("additionalProperties") ? "object"
                : s.ContainsKey("items") || s.ContainsKey("prefixItems") || s.ContainsKey("minItems") ? "array"
                : s.ContainsKey("minimum") || s.ContainsKey("maximum") || s.ContainsKey("multipleOf")
                  || s.ContainsKey("exclusiveMinimum") || s.ContainsKey("exclusiveMaximum") ? "number"
                : "string";
        }

        // Null only now and then: a value is more useful to whoever reads the output.
        var concrete = types.Where(t => t != "null").ToList();
        return concrete.Count == 0 || (types.Contains("null") && _random.Next(10) == 0) ? "null" : concrete[_random.Next(concrete.Count)];
    }

    private JsonObject GenerateObject(JsonObject s, int depth)
    {
        var result = new JsonObject();
        var properties = s["properties"] as JsonObject ?? [];
        var required = Strings(s["required"]).ToHashSet(StringComparer.Ordinal);
        var maxProperties = (int)Math.Clamp(Number(s["maxProperties"]) ?? int.MaxValue, 0, int.MaxValue);
        var minProperties = (int)Bounded(s, "minProperties", MaxCount, 0);
        var additional = s["additionalProperties"];
        var additionalAllowed = additional is not JsonValue av || !av.TryGetValue<bool>(out var allowed) || allowed;

        foreach (var name in required)
        {
            // A required property without a declaration takes the additionalProperties schema (or anything).
            result[name] = Generate(properties[name] ?? (JsonNode?)(additional as JsonObject) ?? JsonValue.Create(true), name, depth + 1);
        }

        foreach (var (name, schema) in properties)
        {
            if (result.ContainsKey(name) || result.Count >= maxProperties || Lean(depth))
            {
                continue;
            }

            if (_random.Next(2) == 0 || result.Count < minProperties)
            {
                result[name] = Generate(schema, name, depth + 1);
            }
        }

        // A map (no declared properties, a schema for the values) gets a few entries; minProperties is honoured when allowed.
        var extras = properties.Count == 0 && additional is JsonObject && !Lean(depth) ? _random.Next(1, 4) : 0;
        extras = Math.Max(extras, minProperties - result.Count);
        for (var i = 0; additionalAllowed && i < extras && result.Count < maxProperties; i++)
        {
            var key = $"{Vocabulary.Word(_random)}_{result.Count + 1}";
            result[key] = Generate((JsonNode?)(additional as JsonObject) ?? JsonValue.Create(true), key, depth + 1);
        }

        return result;
    }

    private JsonArray GenerateArray(JsonObject s, string? name, int depth)
    {
        var prefix = s["prefixItems"] as JsonArray ?? [];
        var items = s["items"];
        var closed = items is JsonValue iv && iv.TryGetValue<bool>(out var open) && !open;
        // 1..4 items by default, fewer deeper down so that recursive schemas (trees) stay small.
        var min = (int)Bounded(s, "minItems", MaxCount, Lean(depth) || depth >= 4 ? 0 : 1);
        var max = (int)Math.Clamp(Number(s["maxItems"]) ?? Math.Max(min, Lean(depth) ? min : depth < 3 ? 4 : 2), 0, MaxCount);
        if (closed)
        {
            max = Math.Min(max, prefix.Count);
        }

        var count = max <= min ? min : _random.Next(min, max + 1);
        var unique = s["uniqueItems"] is JsonValue u && u.TryGetValue<bool>(out var isUnique) && isUnique;
        var element = Vocabulary.Singular(name);
        var result = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            var schema = i < prefix.Count ? prefix[i] : items ?? JsonValue.Create(true);
            var value = Generate(schema, element, depth + 1);
            for (var tries = 0; unique && tries < 10 && result.Any(x => JsonNode.DeepEquals(x, value)); tries++)
            {
                value = Generate(schema, element, depth + 1);
            }

            if (unique && result.Any(x => JsonNode.DeepEquals(x, value)) && result.Count >= min)
            {
                break; // the item schema has run out of distinct values
            }

            result.Add(value);
        }

        return result;
    }

    private decimal GenerateNumber(JsonObject s, bool integer)
    {
        var low = Number(s["minimum"]);
        var high = Number(s["maximum"]);
        var exclusiveLow = Number(s["exclusiveMinimum"]);
        var exclusiveHigh = Number(s["exclusiveMaximum"]);
        // Draft 4 wrote exclusiveMinimum: true next to minimum.
        if (s["exclusiveMinimum"] is JsonValue el && el.TryGetValue<bool>(out var lowIsExclusive) && lowIsExclusive)
        {
            (exclusiveLow, low) = (low, null);
        }

        if (s["exclusiveMaximum"] is JsonValue eh && eh.TryGetValue<bool>(out var highIsExclusive) && highIsExclusive)
        {
            (exclusiveHigh, high) = (high, null);
        }

        var step = Number(s["multipleOf"]) is { } m && m > 0 ? m : integer ? 1m : 0.01m;
        if (integer && step != Math.Floor(step))
        {
            step = 1; // an integer multiple of a fraction: keep it simple, stay whole
        }

        // Work on multiples of the step: k·step within the bounds, strictly inside exclusive ones.
        var lo = low ?? exclusiveLow ?? (high ?? exclusiveHigh ?? DefaultSpan) - DefaultSpan;
        var hi = high ?? exclusiveHigh ?? lo + DefaultSpan;
        if (low is null && high is null && exclusiveLow is null && exclusiveHigh is null)
        {
            (lo, hi) = (0, DefaultSpan);
        }

        var kLow = Math.Ceiling(lo / step);
        if (exclusiveLow is not null && low is null && kLow * step <= exclusiveLow)
        {
            kLow++;
        }

        var kHigh = Math.Floor(hi / step);
        if (exclusiveHigh is not null && high is null && kHigh * step >= exclusiveHigh)
        {
            kHigh--;
        }

        if (kHigh < kLow)
        {
            return lo; // unsatisfiable bounds: the lower bound is the closest honest answer
        }

        var span = Math.Min(kHigh - kLow, int.MaxValue - 1);
        var k = kLow + _random.NextInt64(0, (long)span + 1);
        return k * step;
    }

    private string GenerateString(JsonObject s, string? name)
    {
        var minLength = (int)Bounded(s, "minLength", MaxLength, 0);
        var maxLength = (int)Math.Clamp(Number(s["maxLength"]) ?? int.MaxValue, 0, int.MaxValue);
        var pattern = s["pattern"] is JsonValue p && p.TryGetValue<string>(out var text) ? text : null;
        var format = s["format"] is JsonValue f && f.TryGetValue<string>(out var ft) ? ft : null;

        for (var attempt = 0; attempt < 8; attempt++)
        {
            var value = pattern is not null ? PatternGenerator.TryGenerate(pattern, _random) ?? Vocabulary.Word(_random)
                : format is not null ? FormatValue(format, name)
                : Vocabulary.ForName(_random, name);
            value = FitLength(value, minLength, maxLength);
            if (pattern is null || Matches(pattern, value))
            {
                return value;
            }
        }

        return FitLength(Vocabulary.Word(_random), minLength, maxLength);
    }

    private string FormatValue(string format, string? name) => format switch
    {
        "date-time" => Vocabulary.DateTime(_random),
        "date" => Vocabulary.Date(_random),
        "time" => Vocabulary.Time(_random),
        "email" or "idn-email" => Vocabulary.Email(_random),
        "uri" or "url" or "iri" or "uri-reference" or "iri-reference" => Vocabulary.Url(_random),
        "uuid" => Vocabulary.Uuid(_random),
        "hostname" or "idn-hostname" => $"{Vocabulary.Word(_random)}.example.com",
        "ipv4" => $"10.{_random.Next(256)}.{_random.Next(256)}.{_random.Next(1, 255)}",
        "ipv6" => $"2001:db8::{_random.Next(1, 0xFFFF):x}",
        _ => Vocabulary.ForName(_random, name),
    };

    private string FitLength(string value, int minLength, int maxLength)
    {
        while (value.Length < minLength)
        {
            value += " " + Vocabulary.Word(_random);
        }

        if (value.Length > maxLength)
        {
            value = value[..maxLength].TrimEnd();
        }

        return value.Length < minLength ? value.PadRight(minLength, 'x') : value;
    }

    private static bool Matches(string pattern, string value)
    {
        try
        {
            return Regex.IsMatch(value, pattern, RegexOptions.None, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException)
        {
            return true; // not a pattern .NET understands: nothing to check against
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
