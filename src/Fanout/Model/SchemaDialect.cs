using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;
using Json.Schema.Keywords;

namespace Fanout;

/// <summary>
/// Draft 2020-12 as JsonSchema.Net implements it, but with a time limit on every <c>pattern</c> and
/// <c>patternProperties</c> match: the pattern is the plan author's, the string a model's, and a pattern that
/// backtracks catastrophically must fail the attempt rather than spin a worker thread forever.
/// </summary>
internal static class SchemaDialect
{
    /// <summary>Longest one match may take; <see cref="CompiledSchema.Validate"/> reports a timeout as an error.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The dialect of schemas without <c>$schema</c>.</summary>
    public static Dialect Default { get; } =
        Dialect.Draft202012.With([new TimedPattern(), new TimedPatternProperties()], Dialect.Draft202012.Id);

    /// <summary>Where a <c>$schema</c> naming 2020-12 finds <see cref="Default"/> rather than the library's own.</summary>
    public static DialectRegistry Registry { get; } = Registered();

    private static DialectRegistry Registered()
    {
        var registry = new DialectRegistry();
        registry.Register(Default);
        return registry;
    }

    // The regular expression flavour JsonSchema.Net's own keywords use (ECMA 262 as .NET approximates it).
    private static Regex Timed(Regex regex) => new(regex.ToString(), regex.Options & ~RegexOptions.Compiled, MatchTimeout);

    private sealed class TimedPattern : PatternKeyword
    {
        public override object? ValidateKeywordValue(JsonElement value) => Timed((Regex)base.ValidateKeywordValue(value)!);
    }

    private sealed class TimedPatternProperties : PatternPropertiesKeyword
    {
        public override object? ValidateKeywordValue(JsonElement value) =>
            ((Dictionary<string, Regex>)base.ValidateKeywordValue(value)!).ToDictionary(p => p.Key, p => Timed(p.Value), StringComparer.Ordinal);
    }
}
