using System.Text;

namespace Fanout.Providers.Simulation;

/// <summary>
/// Produces a string matching a simple regular expression: literals, <c>.</c>, classes <c>[a-z0-9_]</c> (also
/// negated), <c>\d \w \s</c>, groups with alternatives, and the quantifiers <c>? * + {n} {n,} {n,m}</c>. Anything
/// else (look-arounds, back-references…) gives null and the caller falls back to a plain word.
/// </summary>
internal sealed class PatternGenerator
{
    private const string Letters = "abcdefghijklmnopqrstuvwxyz";
    private const string Digits = "0123456789";
    private const string WordChars = Letters + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + Digits + "_";
    private const string Printable = WordChars + " -.,:;!?/";

    private readonly string _pattern;
    private readonly Random _random;
    private int _at;

    private PatternGenerator(string pattern, Random random)
    {
        _pattern = pattern;
        _random = random;
    }

    /// <summary>A string matching <paramref name="pattern"/>, or null when the pattern is beyond this generator.</summary>
    public static string? TryGenerate(string pattern, Random random)
    {
        var generator = new PatternGenerator(pattern, random);
        var output = new StringBuilder();
        try
        {
            generator.Alternatives(output);
            return generator._at == pattern.Length ? output.ToString() : null;
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    private bool More => _at < _pattern.Length;

    private char Peek => _pattern[_at];

    private void Alternatives(StringBuilder output)
    {
        // Generate each alternative into its own buffer, then keep one.
        var branches = new List<StringBuilder> { new() };
        while (More && Peek != ')')
        {
            if (Peek == '|')
            {
                _at++;
                branches.Add(new StringBuilder());
                continue;
            }

            Piece(branches[^1]);
        }

        output.Append(branches[_random.Next(branches.Count)]);
    }

    private void Piece(StringBuilder output)
    {
        var atom = Atom();
        var (min, max) = Quantifier();
        var count = min == max ? min : _random.Next(min, max + 1);
        for (var i = 0; i < count; i++)
        {
            output.Append(atom());
        }
    }

    /// <summary>Parses one atom and returns a function producing one instance of it.</summary>
    private Func<string> Atom()
    {
        var c = _pattern[_at++];
        switch (c)
        {
            case '^' or '$':
                return () => "";
            case '.':
                return () => Letters[_random.Next(Letters.Length)].ToString();
            case '[':
                var set = CharacterClass();
                return () => set[_random.Next(set.Length)].ToString();
            case '(':
                if (More && Peek == '?')
                {
                    if (_at + 1 < _pattern.Length && _pattern[_at + 1] == ':')
                    {
                        _at += 2;
                    }
                    else
                    {
                        throw new NotSupportedException("look-around or named group");
                    }
                }

                var groupStart = _at;
                SkipGroup();
                var groupEnd = _at - 1; // position of ')'
                var body = _pattern[groupStart..groupEnd];
                return () =>
                {
                    var inner = new PatternGenerator(body, _random);
                    var text = new StringBuilder();
                    inner.Alternatives(text);
                    return inner._at == body.Length ? text.ToString() : throw new NotSupportedException("group");
                };
            case '\\':
                var escaped = Escape();
                return () => escaped[_random.Next(escaped.Length)].ToString();
            case '*' or '+' or '?' or '{' or ')' or '|':
                throw new NotSupportedException($"unexpected '{c}'");
            default:
                return () => c.ToString();
        }
    }

    private void SkipGroup()
    {
        var level = 1;
        while (More && level > 0)
        {
            var c = _pattern[_at++];
            if (c == '\\')
            {
                _at++;
            }
            else if (c == '[')
            {
                while (More && Peek != ']')
                {
                    _at += Peek == '\\' ? 2 : 1;
                }

                _at++;
            }
            else if (c == '(')
            {
                level++;
            }
            else if (c == ')')
            {
                level--;
            }
        }

        if (level > 0)
        {
            throw new NotSupportedException("unbalanced group");
        }
    }

    private string Escape()
    {
        if (!More)
        {
            throw new NotSupportedException("trailing backslash");
        }

        var c = _pattern[_at++];
        return c switch
        {
            'd' => Digits,
            'w' => WordChars,
            's' => " ",
            'D' => Letters,
            'W' => "-.",
            'S' => Letters,
            'n' => "\n",
            't' => "\t",
            _ when char.IsLetterOrDigit(c) => throw new NotSupportedException($"escape \\{c}"),
            _ => c.ToString(),
        };
    }

    private string CharacterClass()
    {
        var negated = More && Peek == '^';
        if (negated)
        {
            _at++;
        }

        var members = new StringBuilder();
        var first = true;
        while (More && (Peek != ']' || first))
        {
            first = false;
            char low;
            if (Peek == '\\')
            {
                _at++;
                var escaped = Escape();
                if (escaped.Length > 1)
                {
                    members.Append(escaped);
                    continue;
                }

                low = escaped[0];
            }
            else
            {
                low = _pattern[_at++];
            }

            if (More && Peek == '-' && _at + 1 < _pattern.Length && _pattern[_at + 1] != ']')
            {
                _at++;
                var high = _pattern[_at++];
                if (high == '\\')
                {
                    high = Escape()[0];
                }

                for (var x = low; x <= high && x >= low; x++)
                {
                    members.Append(x);
                }
            }
            else
            {
                members.Append(low);
            }
        }

        if (!More)
        {
            throw new NotSupportedException("unclosed class");
        }

        _at++; // ']'
        var set = members.ToString();
        if (negated)
        {
            set = new string([.. Printable.Where(ch => !set.Contains(ch, StringComparison.Ordinal))]);
        }

        return set.Length > 0 ? set : throw new NotSupportedException("empty class");
    }

    private (int Min, int Max) Quantifier()
    {
        if (!More)
        {
            return (1, 1);
        }

        (int, int) range;
        switch (Peek)
        {
            case '?':
                _at++;
                range = (0, 1);
                break;
            case '*':
                _at++;
                range = (0, 3);
                break;
            case '+':
                _at++;
                range = (1, 4);
                break;
            case '{':
                var close = _pattern.IndexOf('}', _at);
                if (close < 0)
                {
                    throw new NotSupportedException("unclosed quantifier");
                }

                var parts = _pattern[(_at + 1)..close].Split(',');
                _at = close + 1;
                if (!int.TryParse(parts[0], out var min))
                {
                    throw new NotSupportedException("quantifier");
                }

                var max = parts.Length == 1 ? min : parts[1].Length == 0 ? min + 3 : int.TryParse(parts[1], out var m) ? m : throw new NotSupportedException("quantifier");
                range = (min, Math.Min(max, min + 50));
                break;
            default:
                return (1, 1);
        }

        if (More && Peek is '?' or '+')
        {
            _at++; // lazy or possessive: same strings
        }

        return range;
    }
}
