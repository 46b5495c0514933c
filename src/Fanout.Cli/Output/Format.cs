using System.Globalization;

namespace Fanout.Cli.Output;

/// <summary>Number formats shared by the summary, the live view and the plain log (invariant culture: logs get parsed).</summary>
internal static class Format
{
    public static string Ms(double milliseconds) => Durations.Format(TimeSpan.FromMilliseconds(milliseconds));

    public static string Tokens(long count) => count.ToString("N0", CultureInfo.InvariantCulture);

    public static string Cost(decimal usd) => "$" + usd.ToString(usd is > 0 and < 0.01m ? "0.0000" : "0.00", CultureInfo.InvariantCulture);

    public static string Percent(double ratio) => (ratio * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    public static string Times(double ratio) => ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×";

    /// <summary>An error on one line, cut to <paramref name="max"/> characters (the full text is in run.json).</summary>
    public static string OneLine(string? text, int max = 200)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var line = string.Join(" | ", text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length <= max ? line : line[..(max - 1)] + "…";
    }
}
