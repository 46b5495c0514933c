namespace Fanout.Plans.Yaml;

/// <summary>Turns YamlDotNet's parser messages into advice a plan author can act on.</summary>
internal static class YamlErrors
{
    // Matched against the parser's message (lower case), most specific first.
    private static readonly (string Fragment, string Advice)[] Advice =
    [
        ("tab as indentation", "tabs cannot indent YAML; use spaces"),
        ("did not find expected '-' indicator", "bad indentation: this line is not aligned with the list it seems to belong to"),
        ("did not find expected key", "bad indentation, or a missing ':' after a key"),
        ("found invalid mapping", "unexpected ':' in a value; quote values that contain ': '"),
        ("mapping values are not allowed", "unexpected ':' in a value; quote values that contain ': '"),
        ("double-quoted scalar", "unterminated or badly indented double-quoted string"),
        ("single-quoted scalar", "unterminated or badly indented single-quoted string"),
        ("did not find expected ',' or ']'", "a '[' list is not closed, or an item lacks a ','"),
        ("did not find expected ',' or '}'", "a '{' mapping is not closed, or an entry lacks a ','"),
        ("unexpected end of stream", "the file ends too early; check for an unclosed quote or bracket"),
        ("found character that cannot start any token", "a character that cannot start a value here (quote values that begin with @, `, % or |)"),
        ("did not find expected <document start>", "unexpected text after the end of the document; check indentation"),
        ("did not find expected node content", "a value is missing here"),
    ];

    /// <summary>"invalid YAML: advice (parser: original)" ("invalid JSON" for JSON files).</summary>
    public static string Describe(string message, bool json = false)
    {
        var format = json ? "JSON" : "YAML";
        var original = message.Trim().TrimEnd('.');
        foreach (var (fragment, advice) in Advice)
        {
            if (original.Contains(fragment, StringComparison.OrdinalIgnoreCase))
            {
                return $"invalid {format}: {advice} (parser: {FirstLower(original)})";
            }
        }

        return $"invalid {format}: {FirstLower(original)}";
    }

    /// <summary>
    /// The position to report. The parser places "tab as indentation" at the start of the enclosing mapping; the tab
    /// itself is more useful, so that one error is pointed at the first line indented with a tab after it.
    /// </summary>
    public static SourceLocation Locate(string message, string text, SourceLocation parserMark)
    {
        if (!message.Contains("tab as indentation", StringComparison.OrdinalIgnoreCase))
        {
            return parserMark;
        }

        var lines = text.Split('\n');
        for (var i = Math.Max(parserMark.Line - 1, 0); i < lines.Length; i++)
        {
            var indent = lines[i].Length - lines[i].TrimStart(' ', '\t').Length;
            var tab = lines[i].IndexOf('\t', StringComparison.Ordinal);
            if (tab >= 0 && tab < indent)
            {
                return parserMark with { Line = i + 1, Column = tab + 1 };
            }
        }

        return parserMark;
    }

    private static string FirstLower(string s) => s.Length > 0 ? char.ToLowerInvariant(s[0]) + s[1..] : s;
}
