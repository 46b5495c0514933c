using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fanout.Plans.Yaml;

/// <summary>Converts <see cref="Node"/> trees to JSON, keeping the order of keys.</summary>
internal static class JsonConversion
{
    public static JsonElement ToElement(Node node) => JsonSerializer.SerializeToElement(ToJson(node));

    public static JsonNode? ToJson(Node node)
    {
        switch (node)
        {
            case SequenceNode sequence:
                var array = new JsonArray();
                foreach (var item in sequence.Items)
                {
                    array.Add(ToJson(item));
                }

                return array;
            case MappingNode mapping:
                var obj = new JsonObject();
                foreach (var (key, value) in mapping.Entries)
                {
                    obj[key.Value] = ToJson(value);
                }

                return obj;
            case ScalarNode scalar:
                return Scalar(scalar);
            default:
                return null;
        }
    }

    private static JsonNode? Scalar(ScalarNode scalar) => scalar.Type switch
    {
        ScalarType.Null => null,
        ScalarType.Boolean => JsonValue.Create(scalar.Value is "true" or "True" or "TRUE"),
        ScalarType.Integer => Integer(scalar.Value),
        ScalarType.Number => Number(scalar.Value),
        _ => JsonValue.Create(scalar.Value),
    };

    private static JsonNode Integer(string text)
    {
        if (text.StartsWith("0x", StringComparison.Ordinal))
        {
            // Too large for a long: kept as written, like an octal that overflows.
            return long.TryParse(text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex) ? JsonValue.Create(hex) : JsonValue.Create(text);
        }

        if (text.StartsWith("0o", StringComparison.Ordinal))
        {
            try
            {
                return JsonValue.Create(Convert.ToInt64(text[2..], 8));
            }
            catch (OverflowException)
            {
                return JsonValue.Create(text);
            }
        }

        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) ? JsonValue.Create(n)
            : decimal.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big) ? JsonValue.Create(big)
            : Number(text.TrimStart('+'));
    }

    private static JsonNode Number(string text)
    {
        // JSON has no infinity or NaN, and a number too large for a double reads as infinity: those stay text.
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            return JsonValue.Create(text);
        }

        // Keep the number as written when it is valid JSON (1.50 stays 1.50); YAML-only forms (.5, +1.) go through double.
        try
        {
            return JsonNode.Parse(text)!;
        }
        catch (JsonException)
        {
            return JsonValue.Create(value);
        }
    }

    /// <summary>The integer value of a scalar of type <see cref="ScalarType.Integer"/>, if it fits in a long.</summary>
    public static long? AsLong(ScalarNode scalar) =>
        scalar.Type == ScalarType.Integer && Integer(scalar.Value) is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;
}
