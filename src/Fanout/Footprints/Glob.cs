namespace Fanout.Footprints;

/// <summary>
/// Whether two glob patterns can match a common path: the intersection of their languages is non-empty. Matching a
/// pattern against a path is what Microsoft.Extensions.FileSystemGlobbing does; deciding whether two patterns share a
/// match is not something it (or any .NET library) offers, hence this small dynamic program.
/// </summary>
internal static class Glob
{
    private const string AnySegments = "**";

    public static bool IsPattern(string segment) => segment.AsSpan().IndexOfAny('*', '?', '[') >= 0;

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> (segments) overlap, each covering everything below
    /// what it matches: both get an implicit trailing <c>**</c>.</summary>
    public static bool PathsIntersect(string[] a, string[] b, bool ignoreCase)
    {
        string[] x = [.. a, AnySegments], y = [.. b, AnySegments];
        var memo = new sbyte[x.Length + 1, y.Length + 1];
        return Paths(x, 0, y, 0, memo, ignoreCase);
    }

    private static bool Paths(string[] a, int i, string[] b, int j, sbyte[,] memo, bool ignoreCase)
    {
        if (memo[i, j] != 0)
        {
            return memo[i, j] > 0;
        }

        bool result;
        if (i == a.Length || j == b.Length)
        {
            // One side is used up: the other must be able to match nothing more, i.e. be only '**'.
            result = a.Skip(i).All(s => s == AnySegments) && b.Skip(j).All(s => s == AnySegments);
        }
        else if (a[i] == AnySegments)
        {
            // '**' matches nothing (skip it), or also takes the segment b[j] matches.
            result = Paths(a, i + 1, b, j, memo, ignoreCase) || Paths(a, i, b, j + 1, memo, ignoreCase);
        }
        else if (b[j] == AnySegments)
        {
            result = Paths(a, i, b, j + 1, memo, ignoreCase) || Paths(a, i + 1, b, j, memo, ignoreCase);
        }
        else
        {
            result = SegmentsIntersect(a[i], b[j], ignoreCase) && Paths(a, i + 1, b, j + 1, memo, ignoreCase);
        }

        memo[i, j] = result ? (sbyte)1 : (sbyte)-1;
        return result;
    }

    /// <summary>Whether two one-segment patterns (<c>*</c>, <c>?</c>, <c>[…]</c>, literals) match a common name.</summary>
    public static bool SegmentsIntersect(string a, string b, bool ignoreCase)
    {
        if (!IsPattern(a) && !IsPattern(b))
        {
            return string.Equals(a, b, ignoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
        }

        var x = Tokens(a);
        var y = Tokens(b);
        var memo = new sbyte[x.Count + 1, y.Count + 1];
        return Chars(x, 0, y, 0, memo, ignoreCase);
    }

    private static bool Chars(List<Token> a, int i, List<Token> b, int j, sbyte[,] memo, bool ignoreCase)
    {
        if (memo[i, j] != 0)
        {
            return memo[i, j] > 0;
        }

        bool result;
        if (i == a.Count || j == b.Count)
        {
            result = a.Skip(i).All(t => t.Kind == TokenKind.Star) && b.Skip(j).All(t => t.Kind == TokenKind.Star);
        }
        else if (a[i].Kind == TokenKind.Star)
        {
            result = Chars(a, i + 1, b, j, memo, ignoreCase) || Chars(a, i, b, j + 1, memo, ignoreCase);
        }
        else if (b[j].Kind == TokenKind.Star)
        {
            result = Chars(a, i, b, j + 1, memo, ignoreCase) || Chars(a, i + 1, b, j, memo, ignoreCase);
        }
        else
        {
            result = Meet(a[i], b[j], ignoreCase) && Chars(a, i + 1, b, j + 1, memo, ignoreCase);
        }

        memo[i, j] = result ? (sbyte)1 : (sbyte)-1;
        return result;
    }

    /// <summary>Whether two one-character tokens accept a common character.</summary>
    private static bool Meet(Token a, Token b, bool ignoreCase) => (a.Kind, b.Kind) switch
    {
        (TokenKind.Literal, TokenKind.Literal) => Same(a.Char, b.Char, ignoreCase),
        (TokenKind.Literal, TokenKind.Class) => b.Accepts(a.Char, ignoreCase),
        (TokenKind.Class, TokenKind.Literal) => a.Accepts(b.Char, ignoreCase),
        // '?' meets anything; two classes are assumed to share a character (conservative: they conflict).
        _ => true,
    };

    private static bool Same(char a, char b, bool ignoreCase) =>
        a == b || ignoreCase && char.ToLowerInvariant(a) == char.ToLowerInvariant(b);

    private static List<Token> Tokens(string pattern)
    {
        var tokens = new List<Token>(pattern.Length);
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '*':
                    if (tokens.Count == 0 || tokens[^1].Kind != TokenKind.Star)
                    {
                        tokens.Add(new Token(TokenKind.Star, c, null, false));
                    }

                    break;
                case '?':
                    tokens.Add(new Token(TokenKind.Any, c, null, false));
                    break;
                case '[' when i + 2 <= pattern.Length && pattern.IndexOf(']', i + 2) is var close and > 0:
                    var negated = pattern[i + 1] is '!' or '^';
                    var body = pattern[(i + (negated ? 2 : 1))..close];
                    tokens.Add(new Token(TokenKind.Class, c, body, negated));
                    i = close;
                    break;
                default:
                    tokens.Add(new Token(TokenKind.Literal, c, null, false));
                    break;
            }
        }

        return tokens;
    }

    private enum TokenKind
    {
        Literal,
        Any,
        Star,
        Class,
    }

    private readonly record struct Token(TokenKind Kind, char Char, string? Set, bool Negated)
    {
        public bool Accepts(char c, bool ignoreCase)
        {
            var inSet = Contains(c) || ignoreCase && (Contains(char.ToLowerInvariant(c)) || Contains(char.ToUpperInvariant(c)));
            return inSet != Negated;
        }

        private bool Contains(char c)
        {
            var set = Set!;
            for (var i = 0; i < set.Length; i++)
            {
                if (i + 2 < set.Length && set[i + 1] == '-')
                {
                    if (c >= set[i] && c <= set[i + 2])
                    {
                        return true;
                    }

                    i += 2;
                }
                else if (set[i] == c)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
