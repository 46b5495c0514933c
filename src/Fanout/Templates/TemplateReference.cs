using System.Text.RegularExpressions;

namespace Fanout.Templates;

/// <summary>A path used in a template, and whether it sits inside a block that tolerates its absence.</summary>
/// <param name="Path">Dotted path such as <c>tasks.plan.output.title</c>.</param>
/// <param name="Guarded">Inside <c>#if</c>, <c>#unless</c>, <c>#each</c> or <c>#with</c>, or the argument of one.</param>
/// <param name="InBlockScope">Inside <c>#each</c> or <c>#with</c>, where relative names refer to the block's value.</param>
internal readonly record struct TemplateReference(string Path, bool Guarded, bool InBlockScope)
{
    /// <summary>The first segment (<c>tasks</c>, <c>inputs</c>, <c>item</c>…).</summary>
    public string Root => PathExpression.Split(Path) is [var first, ..] ? first : Path;
}

/// <summary>
/// Finds the paths a Handlebars template reads without a full parse. Handlebars.Net exposes no syntax tree, and
/// Fanout needs the paths twice: to validate a plan statically and to check, before rendering, that every unguarded
/// path resolves (Handlebars itself would render a missing value as an empty string, or throw even inside #if in
/// strict mode).
/// </summary>
internal static partial class TemplateScanner
{
    private static readonly HashSet<string> BlockHelpers = ["if", "unless", "each", "with"];

    /// <summary>Helpers whose arguments are paths; <c>json</c> is Fanout's own.</summary>
    internal static readonly HashSet<string> InlineHelpers = ["json", "lookup", "eq"];

    public static IEnumerable<TemplateReference> References(string template)
    {
        var blocks = new Stack<string>();
        foreach (Match match in Mustache().Matches(template))
        {
            var body = match.Groups["body"].Value.Trim().Trim('~').Trim();
            if (body.Length == 0 || body[0] is '!' or '>')
            {
                continue;
            }

            if (body[0] == '/')
            {
                if (blocks.Count > 0)
                {
                    blocks.Pop();
                }

                continue;
            }

            var opens = body[0] == '#';
            var tokens = Tokens().Matches(opens ? body[1..] : body).Select(m => m.Value).ToList();
            if (tokens.Count == 0 || tokens[0] is "else" or "^")
            {
                continue;
            }

            var guarded = blocks.Count > 0 || opens;
            var inBlockScope = blocks.Any(b => b is "each" or "with");
            var isHelper = opens || tokens.Count > 1 || InlineHelpers.Contains(tokens[0]);
            // A block's parameters (as |item i|) name values; they are not paths to resolve.
            foreach (var token in (isHelper ? tokens.Skip(1) : tokens).TakeWhile(t => !opens || t != "as"))
            {
                var value = token.Contains('=', StringComparison.Ordinal) ? token[(token.IndexOf('=', StringComparison.Ordinal) + 1)..] : token;
                if (IsPath(value))
                {
                    yield return new TemplateReference(value, guarded, inBlockScope);
                }
            }

            if (opens)
            {
                blocks.Push(BlockHelpers.Contains(tokens[0]) ? tokens[0] : "each");
            }
        }
    }

    private static bool IsPath(string token) =>
        token.Length > 0
        && token[0] is not ('"' or '\'' or '@' or '.' or '(')
        && !char.IsDigit(token[0]) && token[0] != '-'
        && token is not ("this" or "true" or "false" or "null" or "undefined")
        && !token.StartsWith("this.", StringComparison.Ordinal);

    /// <summary>One mustache, <c>{{…}}</c> or <c>{{{…}}}</c>; <c>body</c> is what is inside.</summary>
    [GeneratedRegex(@"\{\{\{?(?<body>.*?)\}?\}\}", RegexOptions.Singleline)]
    internal static partial Regex Mustache();

    /// <summary>Tokens of a mustache: string literals, a subexpression's helper name with its <c>(</c> (so it is never
    /// taken for a path), and everything else split on spaces and parentheses.</summary>
    [GeneratedRegex("\"[^\"]*\"|'[^']*'|\\(\\s*[^\\s()]+|[^\\s()]+")]
    private static partial Regex Tokens();
}
