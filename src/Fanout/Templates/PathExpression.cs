using System.Globalization;
using System.Text.Json;

namespace Fanout.Templates;

/// <summary>
/// Dotted paths over JSON (<c>tasks.plan.output.pages[0].title</c>, also <c>pages.0</c> and Handlebars' <c>pages.[0]</c>),
/// the one syntax shared by templates, <c>foreach</c> and merge mappings.
/// </summary>
public static class PathExpression
{
    /// <summary>Splits a path into segments.</summary>
    public static string[] Split(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.Replace("[", ".", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal)
            .Split('.', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>
    /// Resolves <paramref name="path"/> in <paramref name="root"/>. Returns false with the longest resolvable prefix
    /// in <paramref name="resolvedPrefix"/> when a segment is missing.
    /// </summary>
    public static bool TryResolve(JsonElement root, string path, out JsonElement value, out string resolvedPrefix)
    {
        var segments = Split(path);
        value = root;
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var found = value.ValueKind switch
            {
                JsonValueKind.Object => value.TryGetProperty(segment, out var property) ? property : (JsonElement?)null,
                JsonValueKind.Array when int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                    && index < value.GetArrayLength() => value[index],
                JsonValueKind.Array when segment == "length" => JsonSerializer.SerializeToElement(value.GetArrayLength()),
                _ => null,
            };
            if (found is null)
            {
                resolvedPrefix = string.Join('.', segments.Take(i));
                return false;
            }

            value = found.Value;
        }

        resolvedPrefix = path;
        return true;
    }
}
