namespace Fanout.Tests.Scheduling;

/// <summary>Durations as written in plans and shown on screen.</summary>
public class DurationsTests
{
    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("1.5s", 1500)]
    [InlineData("2m", 120_000)]
    [InlineData("2min", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("10", 10_000)]
    [InlineData(" 3 s ", 3000)]
    public void Parses_units_and_bare_seconds(string text, double ms)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(ms, value.TotalMilliseconds);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("-1s")]
    [InlineData("1d")]
    [InlineData("fast")]
    [InlineData("1.s")]
    public void Rejects_what_is_not_a_duration(string? text)
    {
        Assert.False(Durations.TryParse(text, out _));
    }

    [Theory]
    [InlineData(850, "850ms")]
    [InlineData(12_340, "12.3s")]
    [InlineData(245_000, "4m05s")]
    [InlineData(3_900_000, "1h05m")]
    public void Formats_compactly(double ms, string text)
    {
        Assert.Equal(text, Durations.Format(TimeSpan.FromMilliseconds(ms)));
    }
}
