using Fanout.Providers.Pools;

namespace Fanout.Tests.Pools;

public class RateHeadersTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static Func<string, string?> Headers(params (string Name, string Value)[] headers) =>
        name => headers.FirstOrDefault(h => string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)).Value;

    [Theory]
    [InlineData("1m6s", 66_000)]
    [InlineData("250ms", 250)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2h0m0s", 7_200_000)]
    [InlineData("800us", 0.8)]
    [InlineData("6m0s", 360_000)]
    [InlineData("20", 20_000)]
    public void Go_durations_of_reset_headers_parse(string text, double milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), RateHeaders.GoDuration(text));

    [Theory]
    [InlineData("soon")]
    [InlineData("5x")]
    [InlineData("")]
    public void Text_that_is_not_a_duration_parses_as_nothing(string text) => Assert.Null(RateHeaders.GoDuration(text));

    [Fact]
    public void Retry_after_ms_wins_over_retry_after_seconds() =>
        Assert.Equal(TimeSpan.FromMilliseconds(1500), RateHeaders.RetryAfter(Headers(("retry-after", "2"), ("retry-after-ms", "1500")), Now));

    [Fact]
    public void Retry_after_in_seconds_parses() =>
        Assert.Equal(TimeSpan.FromSeconds(7), RateHeaders.RetryAfter(Headers(("retry-after", "7")), Now));

    [Fact]
    public void Retry_after_as_an_http_date_is_the_time_until_then() =>
        Assert.Equal(TimeSpan.FromSeconds(30), RateHeaders.RetryAfter(Headers(("retry-after", "Thu, 01 Jan 2026 12:00:30 GMT")), Now));

    [Fact]
    public void A_429_without_retry_after_cools_down_until_the_exhausted_limit_resets()
    {
        var snapshot = RateHeaders.Parse(429, Headers(
            ("x-ratelimit-remaining-requests", "12"), ("x-ratelimit-reset-requests", "100ms"),
            ("x-ratelimit-remaining-tokens", "0"), ("x-ratelimit-reset-tokens", "1m6s")), Now);

        Assert.Equal(TimeSpan.FromSeconds(66), snapshot.Cooldown);
        Assert.Equal(new LimitHeader(null, 12, TimeSpan.FromMilliseconds(100)), snapshot.Requests);
    }

    [Fact]
    public void Anthropic_resets_are_rfc_3339_instants()
    {
        var snapshot = RateHeaders.Parse(429, Headers(
            ("anthropic-ratelimit-input-tokens-limit", "40000"),
            ("anthropic-ratelimit-input-tokens-remaining", "0"),
            ("anthropic-ratelimit-input-tokens-reset", "2026-01-01T12:00:12Z"),
            ("anthropic-ratelimit-output-tokens-limit", "8000"),
            ("anthropic-ratelimit-output-tokens-remaining", "7000"),
            ("anthropic-ratelimit-output-tokens-reset", "2026-01-01T12:00:01Z")), Now);

        Assert.Equal(new LimitHeader(40000, 0, TimeSpan.FromSeconds(12)), snapshot.InputTokens);
        Assert.Equal(8000, snapshot.OutputTokens!.Value.Limit);
        Assert.Equal(TimeSpan.FromSeconds(12), snapshot.Cooldown);
    }

    [Fact]
    public void A_response_without_rate_limit_headers_says_nothing() =>
        Assert.Equal(new RateSnapshot(200, null, null, null, null, null), RateHeaders.Parse(200, Headers(), Now));
}
