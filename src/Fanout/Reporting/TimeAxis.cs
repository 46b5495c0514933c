using System.Globalization;

namespace Fanout;

/// <summary>
/// Tick spacing and labels for a time axis: steps people read at a glance (1, 2, 5 × 10ⁿ ms; 15 s, 30 s; 15 min,
/// 30 min; whole hours), never more than about <c>target</c> ticks.
/// </summary>
internal static class TimeAxis
{
    private const double Second = 1000, Minute = 60 * Second, Hour = 60 * Minute;

    private static readonly double[] Steps =
    [
        1, 2, 5, 10, 20, 50, 100, 200, 500,
        Second, 2 * Second, 5 * Second, 10 * Second, 15 * Second, 30 * Second,
        Minute, 2 * Minute, 5 * Minute, 10 * Minute, 15 * Minute, 30 * Minute,
        Hour, 2 * Hour, 3 * Hour, 6 * Hour, 12 * Hour, 24 * Hour,
    ];

    /// <summary>The smallest nice step that draws at most <paramref name="target"/> intervals over <paramref name="spanMs"/>.</summary>
    public static double Step(double spanMs, int target = 10)
    {
        var wanted = Math.Max(spanMs, 1) / target;
        foreach (var step in Steps)
        {
            if (step >= wanted)
            {
                return step;
            }
        }

        // Beyond a day: whole days.
        return Math.Ceiling(wanted / (24 * Hour)) * 24 * Hour;
    }

    /// <summary>Tick positions from 0 up to and including <paramref name="spanMs"/>'s last whole step.</summary>
    public static IEnumerable<double> Ticks(double spanMs, double step)
    {
        for (var i = 0; i * step <= spanMs + step * 1e-9; i++)
        {
            yield return i * step;
        }
    }

    /// <summary>A tick label in the largest unit that keeps it exact: <c>250ms</c>, <c>1.5s</c>, <c>2m30s</c>, <c>1h15m</c>.</summary>
    public static string Label(double ms)
    {
        var invariant = CultureInfo.InvariantCulture;
        if (ms == 0)
        {
            return "0";
        }

        if (ms < Second)
        {
            return ms.ToString("0.###", invariant) + "ms";
        }

        if (ms < Minute)
        {
            return (ms / Second).ToString("0.###", invariant) + "s";
        }

        var whole = TimeSpan.FromMilliseconds(ms);
        if (ms < Hour)
        {
            return whole.Seconds == 0 ? $"{(int)whole.TotalMinutes}m" : $"{(int)whole.TotalMinutes}m{whole.Seconds:00}s";
        }

        return whole.Minutes == 0 ? $"{(int)whole.TotalHours}h" : $"{(int)whole.TotalHours}h{whole.Minutes:00}m";
    }
}
