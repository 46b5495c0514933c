using System.Text.RegularExpressions;

namespace Fanout.Templates;

/// <summary>
/// What a template may contain beyond being parseable, checked before Handlebars compiles it so that
/// <c>fanout validate</c> and a run reject the same templates. Handlebars.Net compiles many templates that can only
/// fail when rendered (<c>{{#unless}}</c> without a value, an unknown helper or partial, <c>{{else}}</c> outside a
/// block), and compiles nesting recursively, so deep nesting could overflow the stack. The rules: blocks are
/// <c>#if</c>, <c>#unless</c>, <c>#each</c> and <c>#with</c>, each with one value and closed by its own name; helpers
/// are <c>json</c>, <c>eq</c> and <c>lookup</c> with their number of values; no partials, decorators or raw blocks;
/// nesting at most <see cref="MaxDepth"/> blocks and <see cref="MaxDepth"/> parentheses.
/// </summary>
internal static class TemplateRules
{
    /// <summary>The deepest nesting of blocks (an <c>{{else if}}</c> nests one more) or of parentheses.</summary>
    public const int MaxDepth = 32;

    private static readonly string[] Blocks = ["if", "unless", "each", "with"];

    /// <summary>Each helper Fanout registers (or Handlebars has built in) with how many values it takes.</summary>
    private static readonly Dictionary<string, (int Min, int Max)> Helpers = new(StringComparer.Ordinal)
    {
        ["json"] = (1, 1),
        ["eq"] = (2, 2),
        ["lookup"] = (2, 3),
    };

    /// <summary>The first problem of <paramref name="template"/> as "at line L, column C ('{{…}}'): what", or null.</summary>
    public static string? Problem(string template)
    {
        var open = new Stack<(string Name, Match At, int Elses, int Depth)>();
        var depth = 0;
        foreach (Match match in TemplateScanner.Mustache().Matches(template))
        {
            var body = match.Groups["body"].Value.Trim().Trim('~').Trim();
            if (body.Length == 0)
            {
                return At(template, match, "an empty '{{}}'");
            }

            var problem = body[0] switch
            {
                '!' => null,
                '>' => "partials are not supported (Fanout registers none); write the text in the template",
                '{' => "raw blocks ('{{{{…}}}}') are not supported",
                '*' => "decorators and inline partials are not supported",
                '#' when body.Length > 1 && body[1] is '>' => "partial blocks are not supported (Fanout registers no partials)",
                '#' when body.Length > 1 && body[1] is '*' => "decorators and inline partials are not supported",
                '#' or '^' when body.Length > 1 => Open(body[1..].Trim(), match, open, ref depth),
                '^' => Else(open, "{{^}}"),
                '/' => Close(body[1..].Trim(), open, ref depth),
                _ when body == "else" => Else(open, "{{else}}"),
                _ when body.StartsWith("else ", StringComparison.Ordinal) => ElseIf(body[5..].Trim(), open, ref depth),
                _ => Expression(body),
            };
            if (problem is not null)
            {
                return At(template, match, problem);
            }
        }

        return open.Count > 0 ? At(template, open.Peek().At, $"'#{open.Peek().Name}' is never closed; end it with {{{{/{open.Peek().Name}}}}}") : null;
    }

    private static string? Open(string expression, Match at, Stack<(string Name, Match At, int Elses, int Depth)> open, ref int depth)
    {
        var parts = Arguments(expression, out var problem);
        if (problem is not null)
        {
            return problem;
        }

        var name = parts.Count > 0 ? parts[0] : "";
        if (!Blocks.Contains(name))
        {
            return Helpers.ContainsKey(name)
                ? $"'{name}' is a helper, not a block: write {{{{{name} …}}}} without '#'"
                : $"unknown block '#{name}'; blocks are {string.Join(", ", Blocks.Select(b => "#" + b))}";
        }

        if (Check(name, parts.Skip(1).ToList(), 1, 1, "block") is { } arity)
        {
            return arity;
        }

        if (++depth > MaxDepth)
        {
            return $"blocks are nested more than {MaxDepth} deep";
        }

        open.Push((name, at, 0, 1));
        return null;
    }

    private static string? Else(Stack<(string Name, Match At, int Elses, int Depth)> open, string written)
    {
        if (open.Count == 0)
        {
            return $"'{written}' outside a block; it belongs between {{{{#if …}}}} and {{{{/if}}}}";
        }

        var block = open.Pop();
        if (block.Elses > 0)
        {
            open.Push(block);
            return $"a second '{written}' in one '#{block.Name}' block";
        }

        open.Push(block with { Elses = 1 });
        return null;
    }

    /// <summary><c>{{else if x}}</c>: Handlebars nests it as a block inside the else, so it counts towards the depth.</summary>
    private static string? ElseIf(string expression, Stack<(string Name, Match At, int Elses, int Depth)> open, ref int depth)
    {
        if (open.Count == 0)
        {
            return "'{{else …}}' outside a block";
        }

        var parts = Arguments(expression, out var problem);
        if (problem is not null)
        {
            return problem;
        }

        var name = parts.Count > 0 ? parts[0] : "";
        if (!Blocks.Contains(name))
        {
            return $"unknown block 'else {name}'; write {{{{else if …}}}} or {{{{else unless …}}}}";
        }

        if (Check(name, parts.Skip(1).ToList(), 1, 1, "block") is { } arity)
        {
            return arity;
        }

        var block = open.Pop();
        if (block.Elses > 0)
        {
            open.Push(block);
            return $"'{{{{else {name} …}}}}' after the '{{{{else}}}}' of '#{block.Name}'";
        }

        open.Push(block with { Depth = block.Depth + 1 });
        return ++depth > MaxDepth ? $"blocks (counting each {{{{else if}}}}) are nested more than {MaxDepth} deep" : null;
    }

    private static string? Close(string name, Stack<(string Name, Match At, int Elses, int Depth)> open, ref int depth)
    {
        if (open.Count == 0)
        {
            return $"'{{{{/{name}}}}}' closes a block that was never opened";
        }

        var block = open.Pop();
        depth -= block.Depth;
        return block.Name == name ? null : $"'{{{{/{name}}}}}' closes '#{block.Name}'; write {{{{/{block.Name}}}}}";
    }

    /// <summary>A value (<c>{{path}}</c>) or a helper call (<c>{{json x}}</c>), with any subexpressions.</summary>
    private static string? Expression(string expression)
    {
        var body = expression.StartsWith('&') ? expression[1..].Trim() : expression;
        var parts = Arguments(body, out var problem);
        if (problem is not null)
        {
            return problem;
        }

        if (parts.Count == 0)
        {
            return "an empty expression";
        }

        if (Helpers.ContainsKey(parts[0]))
        {
            return Check(parts[0], parts.Skip(1).ToList(), Helpers[parts[0]].Min, Helpers[parts[0]].Max, "helper");
        }

        if (Blocks.Contains(parts[0]))
        {
            return $"'{parts[0]}' is a block: write {{{{#{parts[0]} …}}}} … {{{{/{parts[0]}}}}}";
        }

        if (parts.Count > 1)
        {
            return $"unknown helper '{parts[0]}'; helpers are {string.Join(", ", Helpers.Keys)} (a value is written alone, as {{{{inputs.x}}}})";
        }

        return parts[0].StartsWith('(') ? Subexpression(parts[0]) : null;
    }

    /// <summary>The values after a helper or block name (<paramref name="what"/>), each a subexpression checked too.</summary>
    private static string? Check(string name, List<string> values, int min, int max, string what)
    {
        // Block parameters (as |item i|) and hash arguments (key=value) are not the values counted.
        var asAt = values.FindIndex(v => v == "as");
        var positional = (asAt >= 0 ? values.Take(asAt) : values).Where(v => !IsHash(v)).ToList();
        if (positional.Count < min || positional.Count > max)
        {
            var wants = min == max ? $"{Count(min)}" : $"{min} or {max} values";
            var verb = what == "block" ? $"'#{name}' needs" : $"'{name}' takes";
            return $"{verb} {wants}, got {(positional.Count == 0 ? "none" : positional.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))}";
        }

        foreach (var value in positional.Where(v => v.StartsWith('(')))
        {
            if (Subexpression(value) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? Subexpression(string text)
    {
        var parts = Arguments(text[1..^1].Trim(), out var problem);
        if (problem is not null)
        {
            return problem;
        }

        if (parts.Count == 0 || !Helpers.TryGetValue(parts[0], out var arity))
        {
            return $"'{text}' calls {(parts.Count == 0 ? "nothing" : $"unknown helper '{parts[0]}'")}; helpers are {string.Join(", ", Helpers.Keys)}";
        }

        return Check(parts[0], parts.Skip(1).ToList(), arity.Min, arity.Max, "helper");
    }

    /// <summary>Splits an expression on spaces outside quotes and parentheses; a subexpression stays one part.</summary>
    private static List<string> Arguments(string expression, out string? problem)
    {
        problem = null;
        var parts = new List<string>();
        var start = -1;
        var depth = 0;
        char? quote = null;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (quote is not null)
            {
                quote = c == quote ? null : quote;
                continue;
            }

            if (start < 0 && !char.IsWhiteSpace(c))
            {
                start = i;
            }

            switch (c)
            {
                case '"' or '\'':
                    quote = c;
                    break;
                case '(' when ++depth > MaxDepth:
                    problem = $"parentheses are nested more than {MaxDepth} deep";
                    return parts;
                case ')' when --depth < 0:
                    problem = "a ')' without its '('";
                    return parts;
                case var _ when char.IsWhiteSpace(c) && depth == 0 && start >= 0:
                    parts.Add(expression[start..i]);
                    start = -1;
                    break;
            }
        }

        if (depth > 0 || quote is not null)
        {
            problem = depth > 0 ? "a '(' is never closed" : "a quoted string is never closed";
            return parts;
        }

        if (start >= 0)
        {
            parts.Add(expression[start..]);
        }

        return parts;
    }

    private static bool IsHash(string value)
    {
        var equals = value.IndexOf('=', StringComparison.Ordinal);
        return equals > 0 && !value.StartsWith('(') && !value.StartsWith('"') && !value.StartsWith('\'');
    }

    private static string Count(int n) => n == 1 ? "exactly one value" : $"{n} values";

    private static string At(string template, Match match, string problem)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < match.Index; i++)
        {
            if (template[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        // One line, however the mustache was written: a diagnostic is one line.
        var written = match.Value.ReplaceLineEndings(" ");
        written = written.Length > 40 ? written[..37] + "…" : written;
        return $"at line {line}, column {match.Index - lineStart + 1} of the template ('{written}'): {problem}";
    }
}
