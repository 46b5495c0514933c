using System.Globalization;
using System.Text.Json;

namespace Fanout.Schema;

/// <summary>
/// A JSON number, compared exactly as <see cref="decimal"/> when it fits (so 0.1 + 0.2 style rounding never decides
/// a verdict) and as <see cref="double"/> otherwise (bignums, 1e308).
/// </summary>
internal readonly record struct Number(decimal? Decimal, double Double, string Text)
{
    public static Number From(JsonElement value)
    {
        var dbl = value.TryGetDouble(out var d) ? d : double.Parse(value.GetRawText(), CultureInfo.InvariantCulture);
        // TryGetDecimal rounds 1e-40 to 0: only trust a zero if the double agrees.
        decimal? dec = value.TryGetDecimal(out var m) && (m != 0 || dbl == 0) ? m : null;
        return new Number(dec, dbl, value.GetRawText());
    }

    public bool IsInteger => Decimal is { } d ? decimal.Truncate(d) == d : double.IsFinite(Double) && Math.Floor(Double) == Double;

    public int CompareTo(Number other) =>
        Decimal is { } a && other.Decimal is { } b ? a.CompareTo(b) : Double.CompareTo(other.Double);

    public bool IsMultipleOf(Number divisor)
    {
        if (Decimal is { } a && divisor.Decimal is { } b)
        {
            try
            {
                return a % b == 0;
            }
            catch (OverflowException)
            {
                // fall through to double
            }
        }

        if (!double.IsFinite(Double))
        {
            return false;
        }

        // IEEERemainder stays exact for huge dividends (1e308 is a multiple of 0.5) where x / m would overflow.
        var remainder = Math.Abs(Math.IEEERemainder(Double, divisor.Double));
        return remainder <= Math.Abs(divisor.Double) * 1e-9;
    }

    public override string ToString() => Text;
}
