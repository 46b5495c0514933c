using System.Text.Json;

namespace Fanout.Tests.Secrets;

public sealed class RedactorTests
{
    private static readonly Redactor Keys = new([
        KeyValuePair.Create("SHORT_TOKEN", "abcdefgh1234"),
        KeyValuePair.Create("LONG_API_KEY", "abcdefgh1234-and-more"),
        KeyValuePair.Create("PLUS_SECRET", "k+y/with+sign=="),
        KeyValuePair.Create("TINY_TOKEN", "1234"),
    ]);

    [Fact]
    public void The_longest_known_secret_at_a_position_is_replaced_by_its_alias()
    {
        Assert.Equal("a [redacted:LONG_API_KEY] b [redacted:SHORT_TOKEN]!", Keys.Redact("a abcdefgh1234-and-more b abcdefgh1234!"));
    }

    [Fact]
    public void Values_too_short_to_be_secrets_are_left_alone_and_text_without_secrets_is_returned_as_is()
    {
        var text = "pin 1234";

        Assert.Same(text, Keys.Redact(text));
        Assert.Equal(3, Keys.Count);
    }

    [Fact]
    public void Json_strings_and_property_names_are_redacted_even_where_json_escapes_the_secret()
    {
        // System.Text.Json writes '+' as \u002B: redacting the raw text would miss it.
        var value = JsonSerializer.SerializeToElement(new Dictionary<string, object> { ["k+y/with+sign=="] = new[] { "token k+y/with+sign==" }, ["n"] = 1 });
        Assert.Contains("\\u002B", value.GetRawText(), StringComparison.Ordinal);

        var redacted = Keys.Redact(value);

        Assert.Equal("""{"[redacted:PLUS_SECRET]":["token [redacted:PLUS_SECRET]"],"n":1}""", redacted.GetRawText());
    }

    [Fact]
    public void A_failure_holding_a_secret_keeps_how_it_is_retried_but_not_the_secret()
    {
        var limited = new RateLimitedException("429 for abcdefgh1234", TimeSpan.FromSeconds(7));
        var final = new TaskFailedException("bad key abcdefgh1234", retryable: false, null, new TokenUsage(3, 4), 0.5m);

        var a = Assert.IsType<RateLimitedException>(Keys.Redact(limited));
        var b = Assert.IsType<TaskFailedException>(Keys.Redact(final));

        Assert.Equal(("429 for [redacted:SHORT_TOKEN]", TimeSpan.FromSeconds(7)), (a.Message, a.RetryAfter));
        Assert.Equal(("bad key [redacted:SHORT_TOKEN]", false, new TokenUsage(3, 4), 0.5m), (b.Message, b.Retryable, b.Tokens, b.CostUsd));
        Assert.Null(b.InnerException);
        Assert.Same(final, new Redactor([]).Redact(final));
    }
}
