namespace Fanout.Footprints;

/// <summary>How path segments compare. Linux file systems are case-sensitive, so that is the default; choose
/// <see cref="Insensitive"/> for macOS's and Windows' default file systems.</summary>
public enum PathCase
{
    /// <summary><c>Src/A.cs</c> and <c>src/a.cs</c> are different files (ordinal comparison).</summary>
    Sensitive,

    /// <summary><c>Src/A.cs</c> and <c>src/a.cs</c> are the same file (ordinal, ignoring case).</summary>
    Insensitive,
}

/// <summary>
/// One thing a task or tool call touches: a path (possibly a glob), a named resource such as <c>db:orders</c> or
/// <c>url:https://example.com/api</c>, or <see cref="Everything"/>. Paths are normalised when parsed (<c>./a</c> is
/// <c>a</c>, <c>a/../b</c> is <c>b</c>, a trailing <c>/</c> is dropped, relative paths are joined to the base directory
/// when one is given), and a path covers everything below it. See <see cref="Overlaps"/> for when two resources
/// overlap; docs/tools.md states the rules.
/// </summary>
public sealed class Resource : IEquatable<Resource>
{
    private readonly string[] _segments;
    private readonly bool _absolute;

    private Resource(ResourceKind kind, string text, string[] segments, bool absolute)
    {
        Kind = kind;
        Text = text;
        _segments = segments;
        _absolute = absolute;
    }

    /// <summary>Every path and every named resource: what an unknown tool or a shell command may touch.</summary>
    public static Resource Everything { get; } = new(ResourceKind.Everything, EverythingText, [], false);

    /// <summary>How <see cref="Everything"/> is written: <c>*:*</c>.</summary>
    public const string EverythingText = "*:*";

    /// <summary>What this resource is.</summary>
    public ResourceKind Kind { get; }

    /// <summary>The normalised form, as reports show it.</summary>
    public string Text { get; }

    /// <summary>Whether this is a path with glob characters (<c>*</c>, <c>?</c>, <c>[…]</c>, <c>**</c>).</summary>
    public bool IsGlob => Kind == ResourceKind.Path && _segments.Any(Glob.IsPattern);

    /// <summary>
    /// Parses <paramref name="text"/>: <c>*:*</c> is <see cref="Everything"/>; <c>scheme:rest</c> with a scheme of two or more letters, digits, <c>+ - . _</c>
    /// (and no <c>/</c> before the colon) is a named resource; anything else is a path. Write <c>./notes:v2</c> for a
    /// file whose name looks like a scheme.
    /// </summary>
    /// <param name="text">The resource as written.</param>
    /// <param name="baseDirectory">Relative paths are joined to this (absolute) directory; null leaves them relative.</param>
    public static Resource Parse(string text, string? baseDirectory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        if (text == EverythingText)
        {
            return Everything;
        }

        if (NamedScheme(text) > 0)
        {
            return new(ResourceKind.Named, text, [], false);
        }

        // Reports show the path as written (normalised); comparisons use it joined to the base directory.
        var (absolute, segments) = Normalize(!text.StartsWith('/') && !string.IsNullOrEmpty(baseDirectory) ? baseDirectory.TrimEnd('/') + "/" + text : text);
        var (shownAbsolute, shown) = Normalize(text);
        var normal = (shownAbsolute ? "/" : "") + string.Join('/', shown);
        return new(ResourceKind.Path, normal.Length == 0 ? "." : normal, segments, absolute);
    }

    private static (bool Absolute, string[] Segments) Normalize(string path)
    {
        var absolute = path.StartsWith('/');
        var segments = new List<string>();
        foreach (var segment in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (segment == ".")
            {
                continue;
            }

            if (segment == "..")
            {
                // a/../b is b. Above the root of an absolute path is the root; a relative path that climbs out of its
                // base keeps the '..' (it is outside, and compares only with paths written the same way).
                if (segments.Count > 0 && segments[^1] != "..")
                {
                    segments.RemoveAt(segments.Count - 1);
                }
                else if (!absolute)
                {
                    segments.Add(segment);
                }

                continue;
            }

            segments.Add(segment);
        }

        return (absolute, [.. segments]);
    }

    /// <summary>
    /// Whether some file or resource is touched by both. Named resources overlap only an identical name (ordinal) and
    /// never a path. Two paths overlap when one covers the other (a directory covers what is inside it) or when both
    /// are globs some concrete path could match at once, decided segment by segment: <c>**</c> matches any number of
    /// segments, <c>*</c> and <c>?</c> match within one (dot files included), two character classes are assumed to
    /// share a character. A relative path and an absolute one are assumed to overlap: without a base directory
    /// nobody can tell. <see cref="Everything"/> overlaps anything.
    /// </summary>
    public bool Overlaps(Resource other, PathCase pathCase = PathCase.Sensitive)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (Kind == ResourceKind.Everything || other.Kind == ResourceKind.Everything)
        {
            return true;
        }

        if (Kind != other.Kind)
        {
            return false;
        }

        if (Kind == ResourceKind.Named)
        {
            return string.Equals(Text, other.Text, StringComparison.Ordinal);
        }

        return _absolute != other._absolute || Glob.PathsIntersect(_segments, other._segments, pathCase == PathCase.Insensitive);
    }

    /// <inheritdoc />
    public bool Equals(Resource? other) => other is not null && Kind == other.Kind && Text == other.Text;

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Resource);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, Text);

    /// <inheritdoc />
    public override string ToString() => Text;

    /// <summary>Length of a named resource's scheme (before the colon), or 0 when the text is a path.</summary>
    private static int NamedScheme(string text)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon < 2 || !char.IsAsciiLetter(text[0]))
        {
            return 0;
        }

        for (var i = 1; i < colon; i++)
        {
            if (!char.IsAsciiLetterOrDigit(text[i]) && text[i] is not ('+' or '-' or '.' or '_'))
            {
                return 0;
            }
        }

        return colon;
    }
}

/// <summary>What a <see cref="Resource"/> names.</summary>
public enum ResourceKind
{
    /// <summary>A file or directory path, possibly a glob.</summary>
    Path,

    /// <summary>A named resource: <c>db:orders</c>, <c>url:https://…</c>.</summary>
    Named,

    /// <summary>Everything (paths and named resources alike).</summary>
    Everything,
}
