using System.Globalization;
using System.Text;

namespace Fanout;

/// <summary>
/// Escaping and culture-invariant number formatting shared by the HTML report and its SVG timeline. The output must
/// also be well-formed XML (the SVG is parsed as XML by browsers' serializers and by our tests), so characters XML 1.0
/// forbids (control characters, lone surrogates) are replaced rather than passed through.
/// </summary>
internal static class Html
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Escapes text for element content and double- or single-quoted attribute values.</summary>
    public static string Escape(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var builder = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '&': builder.Append("&amp;"); break;
                case '<': builder.Append("&lt;"); break;
                case '>': builder.Append("&gt;"); break;
                case '"': builder.Append("&quot;"); break;
                case '\'': builder.Append("&#39;"); break;
                case '\t' or '\n' or '\r': builder.Append(c); break;
                case < ' ' or '\uFFFE' or '\uFFFF': builder.Append('\uFFFD'); break;
                default:
                    if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                    {
                        builder.Append(c).Append(text[++i]);
                    }
                    else
                    {
                        builder.Append(char.IsSurrogate(c) ? '\uFFFD' : c);
                    }

                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>A number with at most <paramref name="decimals"/> decimals, no grouping: for SVG coordinates.</summary>
    public static string Num(double value, int decimals = 1) =>
        Math.Round(value, decimals).ToString("0." + new string('#', decimals), Invariant);

    /// <summary>An integer with thousands separators: <c>12,345</c>.</summary>
    public static string Count(long value) => value.ToString("#,0", Invariant);

    /// <summary>Dollars with 4 decimals: <c>$0.0123</c>.</summary>
    public static string Usd(decimal value) => "$" + value.ToString("#,0.0000", Invariant);

    /// <summary>A ratio as a speedup: <c>3.21×</c>.</summary>
    public static string Times(double value) => value.ToString("0.00", Invariant) + "×";

    /// <summary>A fraction as a percentage: <c>87.5%</c>.</summary>
    public static string Percent(double fraction) => (fraction * 100).ToString("0.0", Invariant) + "%";

    /// <summary>Milliseconds as a compact duration (<c>850ms</c>, <c>12.3s</c>, <c>4m05s</c>).</summary>
    public static string Ms(double ms) => Durations.Format(TimeSpan.FromMilliseconds(Math.Max(0, ms)));

    /// <summary>A timestamp in UTC with milliseconds.</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", Invariant) + " UTC";
}
