using System.Text.Json;
using System.Text.RegularExpressions;

namespace Fanout.Schema;

/// <summary>minLength, maxLength (in code points), pattern, format.</summary>
internal static class StringKeywords
{
    public static void Compile(SchemaObject s, List<Keyword> into)
    {
        if (s.Has("minLength"))
        {
            into.Add(new LengthKeyword(s.PathOf("minLength"), s.NonNegativeInteger("minLength"), isMinimum: true));
        }

        if (s.Has("maxLength"))
        {
            into.Add(new LengthKeyword(s.PathOf("maxLength"), s.NonNegativeInteger("maxLength"), isMinimum: false));
        }

        if (s.TryGet("pattern", out var pattern))
        {
            if (pattern.ValueKind != JsonValueKind.String)
            {
                throw s.Invalid("pattern", "pattern must be a string");
            }

            into.Add(new PatternKeyword(s.PathOf("pattern"), pattern.GetString()!, s.Regex(pattern.GetString()!, s.PathOf("pattern"))));
        }

        if (s.TryGet("format", out var format))
        {
            if (format.ValueKind != JsonValueKind.String)
            {
                throw s.Invalid("format", "format must be a string");
            }

            // Formats are annotations unless asserted; unknown formats are always annotations.
            if (s.Options.AssertFormat && Formats.TryGet(format.GetString()!, out var check))
            {
                into.Add(new FormatKeyword(s.PathOf("format"), format.GetString()!, check));
            }
        }
    }

    private sealed class LengthKeyword(string path, int limit, bool isMinimum) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.String)
            {
                return true;
            }

            var length = JsonValues.CodePointLength(instance.GetString()!);
            return (isMinimum ? length >= limit : length <= limit)
                || Fail(evaluation, at, $"must be at {(isMinimum ? "least" : "most")} {limit} {JsonValues.Plural(limit, "character", "characters")} long, got {length}");
        }
    }

    private sealed class PatternKeyword(string path, string pattern, Regex regex) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation)
        {
            if (instance.ValueKind != JsonValueKind.String)
            {
                return true;
            }

            try
            {
                return regex.IsMatch(instance.GetString()!) || Fail(evaluation, at, $"must match the pattern '{pattern}'");
            }
            catch (RegexMatchTimeoutException)
            {
                return Fail(evaluation, at, $"matching the pattern '{pattern}' took too long");
            }
        }
    }

    private sealed class FormatKeyword(string path, string format, Func<string, bool> check) : Keyword(path)
    {
        public override bool Validate(JsonElement instance, InstancePath at, Evaluation evaluation) =>
            instance.ValueKind != JsonValueKind.String || check(instance.GetString()!)
            || Fail(evaluation, at, $"must be a valid {format}, got {JsonValues.Render(instance, 40)}");
    }
}
