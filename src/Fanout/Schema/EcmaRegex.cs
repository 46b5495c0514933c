using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Fanout.Schema;

/// <summary>
/// JSON Schema patterns are ECMA 262 regular expressions (unicode mode). .NET's engine is close but not equal, so
/// patterns are translated first: <c>\d \w \s \b</c> and <c>.</c> get their ECMA meanings (ASCII digits and word
/// characters, Unicode white space, no line terminators), <c>$</c> matches only at the very end, <c>\p{Letter}</c>
/// style property names are mapped to .NET's, and syntax ECMA rejects (<c>\a</c>, <c>(?i)</c>, <c>(?P&lt;n&gt;)</c>)
/// is rejected. Character classes still work on UTF-16 code units (an astral character outside a class is kept whole).
/// </summary>
internal static class EcmaRegex
{
    private static readonly (int Lo, int Hi)[] Digit = [('0', '9')];
    private static readonly (int Lo, int Hi)[] Word = [('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];
    private static readonly (int Lo, int Hi)[] Space =
        [(0x09, 0x0D), (0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028, 0x2029), (0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000), (0xFEFF, 0xFEFF)];

    private const string WordChar = "[0-9A-Za-z_]";
    private const string AnyButLineTerminator = @"(?:[\uD800-\uDBFF][\uDC00-\uDFFF]|[^\n\r\u2028\u2029])";

    // Unicode general categories: ECMA accepts the short name, the long name and a few aliases; .NET only short ones.
    private static readonly Dictionary<string, string> Categories = BuildCategories(
        "L Letter", "Lu Uppercase_Letter", "Ll Lowercase_Letter", "Lt Titlecase_Letter", "Lm Modifier_Letter", "Lo Other_Letter",
        "M Mark Combining_Mark", "Mn Nonspacing_Mark", "Mc Spacing_Mark", "Me Enclosing_Mark",
        "N Number", "Nd Decimal_Number digit", "Nl Letter_Number", "No Other_Number",
        "P Punctuation punct", "Pc Connector_Punctuation", "Pd Dash_Punctuation", "Ps Open_Punctuation", "Pe Close_Punctuation",
        "Pi Initial_Punctuation", "Pf Final_Punctuation", "Po Other_Punctuation",
        "S Symbol", "Sm Math_Symbol", "Sc Currency_Symbol", "Sk Modifier_Symbol", "So Other_Symbol",
        "Z Separator", "Zs Space_Separator", "Zl Line_Separator", "Zp Paragraph_Separator",
        "C Other", "Cc Control cntrl", "Cf Format", "Cs Surrogate", "Co Private_Use", "Cn Unassigned");

    /// <summary>Compiles an ECMA 262 pattern; throws <see cref="ArgumentException"/> when it is not valid.</summary>
    public static Regex Compile(string pattern, TimeSpan timeout) =>
        new(Translate(pattern), RegexOptions.CultureInvariant, timeout);

    /// <summary>True if <paramref name="pattern"/> is a valid ECMA 262 regular expression (the "regex" format).</summary>
    public static bool IsValid(string pattern)
    {
        try
        {
            _ = new Regex(Translate(pattern), RegexOptions.CultureInvariant);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Whether <paramref name="regex"/> matches; null when the match timed out.</summary>
    public static bool? TryMatch(Regex regex, string input)
    {
        try
        {
            return regex.IsMatch(input);
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }
    }

    internal static string Translate(string pattern)
    {
        var sb = new StringBuilder(pattern.Length + 16);
        var inClass = false;
        var i = 0;
        while (i < pattern.Length)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                i = Escape(pattern, i + 1, inClass, sb);
                continue;
            }

            i++;
            if (inClass)
            {
                inClass = c != ']';
                sb.Append(c == '[' ? @"\[" : c.ToString()); // '[' would start .NET class subtraction
                continue;
            }

            switch (c)
            {
                case '[' when Peek(pattern, i) == ']':
                    sb.Append("(?!)"); // [] matches nothing
                    i++;
                    break;
                case '[' when Peek(pattern, i) == '^' && Peek(pattern, i + 1) == ']':
                    sb.Append(@"[\s\S]"); // [^] matches anything
                    i += 2;
                    break;
                case '[':
                    inClass = true;
                    sb.Append('[');
                    if (Peek(pattern, i) == '^')
                    {
                        sb.Append('^');
                        i++;
                    }

                    break;
                case '(' when Peek(pattern, i) == '?':
                    i = Group(pattern, i + 1, sb);
                    break;
                case '$':
                    sb.Append(@"\z");
                    break;
                case '.':
                    sb.Append(AnyButLineTerminator);
                    break;
                case var _ when char.IsHighSurrogate(c) && char.IsLowSurrogate(Peek(pattern, i)):
                    sb.Append("(?:").Append(c).Append(pattern[i]).Append(')'); // so a quantifier applies to the whole character
                    i++;
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }

        return sb.ToString();
    }

    private static char Peek(string pattern, int i) => i < pattern.Length ? pattern[i] : '\0';

    /// <summary>Translates "(?" group syntax starting at <paramref name="i"/> (just after "?").</summary>
    private static int Group(string pattern, int i, StringBuilder sb)
    {
        var next = Peek(pattern, i);
        if (next is ':' or '=' or '!')
        {
            sb.Append("(?").Append(next);
            return i + 1;
        }

        if (next == '<' && Peek(pattern, i + 1) is '=' or '!')
        {
            sb.Append("(?<").Append(pattern[i + 1]);
            return i + 2;
        }

        if (next == '<')
        {
            var end = pattern.IndexOf('>', i);
            var name = end < 0 ? "" : pattern[(i + 1)..end];
            if (IsGroupName(name))
            {
                sb.Append("(?<").Append(name).Append('>');
                return end + 1;
            }
        }

        throw new ArgumentException($"'(?{next}' is not ECMA 262 syntax (inline flags, comments and Python groups are not allowed)");
    }

    /// <summary>Translates the escape whose letter is at <paramref name="i"/>; returns the index after it.</summary>
    private static int Escape(string pattern, int i, bool inClass, StringBuilder sb)
    {
        if (i >= pattern.Length)
        {
            throw new ArgumentException("pattern ends with a lone backslash");
        }

        var e = pattern[i++];
        switch (e)
        {
            case 'd' or 'D' or 'w' or 'W' or 's' or 'S':
                var ranges = char.ToLowerInvariant(e) switch { 'd' => Digit, 'w' => Word, _ => Space };
                var negated = char.IsUpper(e);
                sb.Append(inClass
                    ? ClassBody(negated ? Complement(ranges) : ranges)
                    : (negated ? "[^" : "[") + ClassBody(ranges) + "]");
                return i;
            case 'b' when inClass:
                sb.Append(@"\x08");
                return i;
            case 'b':
                sb.Append($"(?:(?<={WordChar})(?!{WordChar})|(?<!{WordChar})(?={WordChar}))");
                return i;
            case 'B' when !inClass:
                sb.Append($"(?:(?<={WordChar})(?={WordChar})|(?<!{WordChar})(?!{WordChar}))");
                return i;
            case 'f' or 'n' or 'r' or 't' or 'v':
                sb.Append('\\').Append(e);
                return i;
            case '0' when !char.IsAsciiDigit(Peek(pattern, i)):
                sb.Append(@"\x00");
                return i;
            case >= '1' and <= '9' when !inClass:
                var start = i - 1;
                while (char.IsAsciiDigit(Peek(pattern, i)))
                {
                    i++;
                }

                sb.Append('\\').Append(pattern, start, i - start);
                return i;
            case 'c' when char.IsAsciiLetter(Peek(pattern, i)):
                sb.Append(@"\x").Append((pattern[i] & 0x1F).ToString("X2", CultureInfo.InvariantCulture));
                return i + 1;
            case 'x' when IsHex(pattern, i, 2):
                sb.Append(@"\x").Append(pattern, i, 2);
                return i + 2;
            case 'u' when Peek(pattern, i) == '{':
                var close = pattern.IndexOf('}', i);
                if (close < 0 || !int.TryParse(pattern.AsSpan(i + 1, close - i - 1), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code) || code > 0x10FFFF)
                {
                    throw new ArgumentException(@"invalid \u{...} escape");
                }

                var text = char.ConvertFromUtf32(code);
                sb.Append(text.Length == 2 && !inClass ? "(?:" : "");
                foreach (var unit in text)
                {
                    sb.Append(@"\u").Append(((int)unit).ToString("X4", CultureInfo.InvariantCulture));
                }

                sb.Append(text.Length == 2 && !inClass ? ")" : "");
                return close + 1;
            case 'u' when IsHex(pattern, i, 4):
                sb.Append(@"\u").Append(pattern, i, 4);
                return i + 4;
            case 'p' or 'P' when Peek(pattern, i) == '{':
                var end = pattern.IndexOf('}', i);
                var property = end < 0 ? "" : pattern[(i + 1)..end];
                sb.Append(Property(property, negated: e == 'P', inClass));
                return end + 1;
            case 'k' when Peek(pattern, i) == '<' && pattern.IndexOf('>', i) is var gt and > 0 && IsGroupName(pattern[(i + 1)..gt]):
                sb.Append(@"\k<").Append(pattern, i + 1, gt - i - 1).Append('>');
                return gt + 1;
            case '^' or '$' or '\\' or '.' or '*' or '+' or '?' or '(' or ')' or '[' or ']' or '{' or '}' or '|':
                sb.Append('\\').Append(e);
                return i;
            case '/':
                sb.Append('/');
                return i;
            case '-' when inClass:
                sb.Append(@"\-");
                return i;
            default:
                throw new ArgumentException($@"'\{e}' is not a valid escape in an ECMA 262 pattern");
        }
    }

    private static string Property(string name, bool negated, bool inClass)
    {
        var eq = name.IndexOf('=', StringComparison.Ordinal);
        if (eq >= 0 && name[..eq] is "General_Category" or "gc")
        {
            name = name[(eq + 1)..];
        }

        if (Categories.TryGetValue(name, out var category))
        {
            return (negated ? @"\P{" : @"\p{") + category + "}";
        }

        (int Lo, int Hi)[]? ranges = name switch { "Any" => [(0, 0xFFFF)], "ASCII" => [(0, 0x7F)], _ => null };
        if (ranges is null)
        {
            throw new ArgumentException($@"the Unicode property '\p{{{name}}}' is not supported (general categories, Any and ASCII are)");
        }

        var body = ClassBody(negated ? Complement(ranges) : ranges);
        return inClass ? body : "[" + body + "]";
    }

    private static string ClassBody((int Lo, int Hi)[] ranges)
    {
        var sb = new StringBuilder();
        foreach (var (lo, hi) in ranges)
        {
            sb.Append(CultureInfo.InvariantCulture, $@"\u{lo:X4}");
            if (hi != lo)
            {
                sb.Append(CultureInfo.InvariantCulture, $@"-\u{hi:X4}");
            }
        }

        return sb.ToString();
    }

    private static (int Lo, int Hi)[] Complement((int Lo, int Hi)[] ranges)
    {
        var result = new List<(int, int)>();
        var next = 0;
        foreach (var (lo, hi) in ranges)
        {
            if (lo > next)
            {
                result.Add((next, lo - 1));
            }

            next = hi + 1;
        }

        if (next <= 0xFFFF)
        {
            result.Add((next, 0xFFFF));
        }

        return [.. result];
    }

    private static bool IsHex(string pattern, int i, int count) =>
        i + count <= pattern.Length && pattern.AsSpan(i, count).ContainsAnyExcept("0123456789abcdefABCDEF") == false;

    private static bool IsGroupName(string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static Dictionary<string, string> BuildCategories(params string[] rows)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            var names = row.Split(' ');
            foreach (var name in names)
            {
                map[name] = names[0];
            }
        }

        return map;
    }
}
