using System.Globalization;

namespace Fanout.Simulator;

/// <summary>Durations as Go's <c>time.Duration.String()</c> writes them, which OpenAI's <c>x-ratelimit-reset-*</c> headers use: 20ms, 1s, 1.5s, 6m0s.</summary>
internal static class GoDuration
{
    public static string Format(TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            return "0s";
        }

        if (value < TimeSpan.FromSeconds(1))
        {
            return $"{Math.Ceiling(value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}ms";
        }

        var hours = (long)value.TotalHours;
        var minutes = value.Minutes;
        var seconds = Math.Round(value.TotalSeconds - hours * 3600 - minutes * 60, 3);
        var s = seconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
        return hours > 0 ? $"{hours}h{minutes}m{s}" : minutes > 0 ? $"{minutes}m{s}" : s;
    }
}
