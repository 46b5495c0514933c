using System.Globalization;
using System.Text.RegularExpressions;

namespace Fanout;

/// <summary>Durations as people write them in plans and read them on screen: <c>250ms</c>, <c>1.5s</c>, <c>2m</c>, <c>1h</c>.</summary>
public static partial class Durations
{
    /// <summary>Parses <c>250ms</c>, <c>1.5s</c>, <c>2m</c>, <c>1h</c> or a bare number of seconds.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        var match = Pattern().Match(text ?? "");
        if (!match.Success || !double.TryParse(match.Groups["n"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n < 0)
        {
            return false;
        }

        var milliseconds = n * match.Groups["unit"].Value switch
        {
            "ms" => 1,
            "m" or "min" => 60_000,
            "h" => 3_600_000,
            _ => 1_000d,
        };

        // Beyond TimeSpan's range is not a duration (TimeSpan.From* would throw).
        if (milliseconds >= TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }

    /// <summary>Formats compactly: <c>850ms</c>, <c>12.3s</c>, <c>4m05s</c>.</summary>
    public static string Format(TimeSpan value) => value.TotalMilliseconds switch
    {
        < 1000 => $"{value.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)}ms",
        < 60_000 => $"{value.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}s",
        < 3_600_000 => $"{(int)value.TotalMinutes}m{value.Seconds:00}s",
        _ => $"{(int)value.TotalHours}h{value.Minutes:00}m",
    };

    [GeneratedRegex(@"^\s*(?<n>\d+(?:\.\d+)?)\s*(?<unit>ms|s|m|min|h)?\s*$")]
    private static partial Regex Pattern();
}
