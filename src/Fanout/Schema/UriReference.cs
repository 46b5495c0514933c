using System.Text;
using System.Text.RegularExpressions;

namespace Fanout.Schema;

/// <summary>
/// RFC 3986 reference resolution (section 5.2) on plain strings. <see cref="Uri"/> is not used because it rewrites
/// what it parses (case, escapes, Windows paths) and cannot resolve against URNs, while <c>$id</c>/<c>$ref</c>
/// resolution must compare identifiers exactly as written.
/// </summary>
internal static partial class UriReference
{
    /// <summary>The base URI of a schema document that has no <c>$id</c>.</summary>
    public const string DefaultBase = "fanout:///schema.json";

    [GeneratedRegex(@"^(?:(?<scheme>[^:/?#]+):)?(?://(?<authority>[^/?#]*))?(?<path>[^?#]*)(?:\?(?<query>[^#]*))?(?:#(?<fragment>.*))?\z", RegexOptions.Singleline)]
    private static partial Regex Parts();

    private readonly record struct Components(string? Scheme, string? Authority, string Path, string? Query, string? Fragment);

    private static Components Split(string reference)
    {
        var m = Parts().Match(reference);
        static string? Get(Match m, string name) => m.Groups[name].Success ? m.Groups[name].Value : null;
        return new Components(Get(m, "scheme"), Get(m, "authority"), m.Groups["path"].Value, Get(m, "query"), Get(m, "fragment"));
    }

    /// <summary>Resolves <paramref name="reference"/> against the absolute URI <paramref name="baseUri"/>.</summary>
    public static string Resolve(string baseUri, string reference)
    {
        var b = Split(baseUri);
        var r = Split(reference);
        Components t;
        if (r.Scheme is not null)
        {
            t = r with { Path = RemoveDotSegments(r.Path) };
        }
        else if (r.Authority is not null)
        {
            t = r with { Scheme = b.Scheme, Path = RemoveDotSegments(r.Path) };
        }
        else if (r.Path.Length == 0)
        {
            t = b with { Query = r.Query ?? b.Query, Fragment = r.Fragment };
        }
        else
        {
            var path = r.Path.StartsWith('/') ? r.Path : Merge(b, r.Path);
            t = b with { Path = RemoveDotSegments(path), Query = r.Query, Fragment = r.Fragment };
        }

        var sb = new StringBuilder();
        if (t.Scheme is not null)
        {
            sb.Append(t.Scheme).Append(':');
        }

        if (t.Authority is not null)
        {
            sb.Append("//").Append(t.Authority);
        }

        sb.Append(t.Path);
        if (t.Query is not null)
        {
            sb.Append('?').Append(t.Query);
        }

        if (t.Fragment is not null)
        {
            sb.Append('#').Append(t.Fragment);
        }

        return sb.ToString();
    }

    /// <summary>Splits "uri#fragment" into the URI and the fragment (null when there is no "#").</summary>
    public static (string Uri, string? Fragment) SplitFragment(string uri)
    {
        var hash = uri.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? (uri, null) : (uri[..hash], uri[(hash + 1)..]);
    }

    private static string Merge(Components b, string path)
    {
        if (b.Authority is not null && b.Path.Length == 0)
        {
            return "/" + path;
        }

        var slash = b.Path.LastIndexOf('/');
        return slash < 0 ? path : b.Path[..(slash + 1)] + path;
    }

    private static string RemoveDotSegments(string path)
    {
        if (!path.Contains('.', StringComparison.Ordinal))
        {
            return path;
        }

        var input = path;
        var output = new StringBuilder();
        while (input.Length > 0)
        {
            if (input.StartsWith("../", StringComparison.Ordinal))
            {
                input = input[3..];
            }
            else if (input.StartsWith("./", StringComparison.Ordinal))
            {
                input = input[2..];
            }
            else if (input.StartsWith("/./", StringComparison.Ordinal))
            {
                input = input[2..];
            }
            else if (input == "/.")
            {
                input = "/";
            }
            else if (input.StartsWith("/../", StringComparison.Ordinal) || input == "/..")
            {
                input = input == "/.." ? "/" : input[3..];
                var last = output.ToString().LastIndexOf('/');
                output.Length = Math.Max(last, 0);
            }
            else if (input is "." or "..")
            {
                input = "";
            }
            else
            {
                var next = input.IndexOf('/', 1);
                var segment = next < 0 ? input : input[..next];
                output.Append(segment);
                input = input[segment.Length..];
            }
        }

        return output.ToString();
    }
}
