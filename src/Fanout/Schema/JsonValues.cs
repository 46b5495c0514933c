using System.Text.Json;

namespace Fanout.Schema;

/// <summary>JSON value helpers: type names, deep equality (1 == 1.0, key order ignored), short renderings.</summary>
internal static class JsonValues
{
    public static string TypeName(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => Number.From(value).IsInteger ? "integer" : "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    public static bool DeepEquals(JsonElement a, JsonElement b)
    {
        var kind = a.ValueKind is JsonValueKind.True or JsonValueKind.False ? JsonValueKind.True : a.ValueKind;
        var otherKind = b.ValueKind is JsonValueKind.True or JsonValueKind.False ? JsonValueKind.True : b.ValueKind;
        if (kind != otherKind)
        {
            return false;
        }

        switch (a.ValueKind)
        {
            case JsonValueKind.Number:
                return Number.From(a).CompareTo(Number.From(b)) == 0;
            case JsonValueKind.String:
                return a.GetString() == b.GetString();
            case JsonValueKind.True or JsonValueKind.False:
                return a.ValueKind == b.ValueKind;
            case JsonValueKind.Array:
                if (a.GetArrayLength() != b.GetArrayLength())
                {
                    return false;
                }

                using (var left = a.EnumerateArray())
                using (var right = b.EnumerateArray())
                {
                    while (left.MoveNext() && right.MoveNext())
                    {
                        if (!DeepEquals(left.Current, right.Current))
                        {
                            return false;
                        }
                    }
                }

                return true;
            case JsonValueKind.Object:
                var count = 0;
                foreach (var property in a.EnumerateObject())
                {
                    count++;
                    if (!b.TryGetProperty(property.Name, out var other) || !DeepEquals(property.Value, other))
                    {
                        return false;
                    }
                }

                return count == b.EnumerateObject().Count();
            default:
                return true; // null
        }
    }

    /// <summary>Compact JSON for messages, cut at <paramref name="max"/> characters.</summary>
    public static string Render(JsonElement value, int max = 60)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            value.WriteTo(writer);
        }

        var text = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        return text.Length <= max ? text : text[..(max - 1)] + "…";
    }

    /// <summary>Length in Unicode code points (a surrogate pair counts once), as JSON Schema defines string length.</summary>
    public static int CodePointLength(string text)
    {
        var length = text.Length;
        for (var i = 0; i < text.Length - 1; i++)
        {
            if (char.IsHighSurrogate(text[i]) && char.IsLowSurrogate(text[i + 1]))
            {
                length--;
                i++;
            }
        }

        return length;
    }

    public static string Plural(int count, string singular, string plural) => count == 1 ? singular : plural;

    /// <summary>A JSON string element holding <paramref name="text"/> (propertyNames validates names as strings).</summary>
    public static JsonElement StringElement(string text)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStringValue(text);
        }

        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }
}
