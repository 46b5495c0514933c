namespace Fanout.Tests.Reporting;

public class TimeAxisTests
{
    [Theory]
    [InlineData(420, 50)]
    [InlineData(1_000, 100)]
    [InlineData(1, 1)]
    [InlineData(0, 1)]
    [InlineData(95_000, 10_000)]
    [InlineData(130_000, 15_000)]
    [InlineData(7_200_000, 15 * 60_000)]
    [InlineData(10 * 86_400_000.0, 86_400_000)]
    public void Step_is_the_smallest_nice_unit_giving_at_most_ten_intervals(double spanMs, double step)
    {
        Assert.Equal(step, TimeAxis.Step(spanMs));
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(250, "250ms")]
    [InlineData(2.5, "2.5ms")]
    [InlineData(1_500, "1.5s")]
    [InlineData(15_000, "15s")]
    [InlineData(120_000, "2m")]
    [InlineData(150_000, "2m30s")]
    [InlineData(3_600_000, "1h")]
    [InlineData(4_500_000, "1h15m")]
    public void Labels_use_the_largest_exact_unit(double ms, string label)
    {
        Assert.Equal(label, TimeAxis.Label(ms));
    }

    [Fact]
    public void Ticks_cover_the_span_including_its_end_on_a_whole_step()
    {
        Assert.Equal([0, 50, 100, 150, 200], TimeAxis.Ticks(200, 50));
        Assert.Equal([0, 50, 100, 150, 200], TimeAxis.Ticks(220, 50));
    }
}
