using System.Globalization;
using System.Text.Json;

namespace Fanout.Schema;

/// <summary>RFC 6901 JSON Pointers: escaping, parsing and resolution against a <see cref="JsonElement"/>.</summary>
internal static class JsonPointer
{
    public static string Escape(string token) =>
        token.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    public static string Append(string pointer, string token) => pointer + "/" + Escape(token);

    public static string Append(string pointer, int index) => pointer + "/" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Splits "/a~1b/0" into ["a/b", "0"]; null when the text is not a pointer (bad "~" escape, no leading "/").</summary>
    public static List<string>? Parse(string pointer)
    {
        var tokens = new List<string>();
        if (pointer.Length == 0)
        {
            return tokens;
        }

        if (pointer[0] != '/')
        {
            return null;
        }

        foreach (var raw in pointer[1..].Split('/'))
        {
            for (var i = raw.IndexOf('~', StringComparison.Ordinal); i >= 0; i = raw.IndexOf('~', i + 1))
            {
                if (i + 1 >= raw.Length || (raw[i + 1] != '0' && raw[i + 1] != '1'))
                {
                    return null;
                }
            }

            tokens.Add(raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal));
        }

        return tokens;
    }

    /// <summary>Follows <paramref name="tokens"/> from <paramref name="root"/>; false when a step does not exist.</summary>
    public static bool TryResolve(JsonElement root, IEnumerable<string> tokens, out JsonElement value)
    {
        value = root;
        foreach (var token in tokens)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.Object when value.TryGetProperty(token, out var property):
                    value = property;
                    break;
                case JsonValueKind.Array when IsIndex(token, out var index) && index < value.GetArrayLength():
                    value = value[index];
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    private static bool IsIndex(string token, out int index)
    {
        index = 0;
        return token.Length > 0 && (token == "0" || token[0] != '0')
            && int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }
}
