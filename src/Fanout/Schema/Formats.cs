using System.Globalization;
using System.Text.RegularExpressions;

namespace Fanout.Schema;

/// <summary>
/// The formats Fanout asserts (draft 2020-12 makes format an annotation by default; Fanout checks the common ones
/// because plan outputs and LLM responses are exactly where a malformed date or URI should be caught). Every check
/// but the IRI ones is ASCII-only, and all are anchored with <c>\z</c> (a .NET <c>$</c> would accept a trailing newline).
/// </summary>
internal static partial class Formats
{
    private static readonly Regex UriSyntax = UriGrammar(iri: false, reference: false);
    private static readonly Regex UriReferenceSyntax = UriGrammar(iri: false, reference: true);
    private static readonly Regex IriSyntax = UriGrammar(iri: true, reference: false);
    private static readonly Regex IriReferenceSyntax = UriGrammar(iri: true, reference: true);

    private static readonly Dictionary<string, Func<string, bool>> Checks = new(StringComparer.Ordinal)
    {
        ["date-time"] = IsDateTime,
        ["date"] = IsDate,
        ["time"] = IsTime,
        ["duration"] = s => Duration().IsMatch(s),
        ["email"] = IsEmail,
        ["hostname"] = IsHostname,
        ["ipv4"] = IsIPv4,
        ["ipv6"] = IsIPv6,
        ["uri"] = s => IsUri(UriSyntax, s),
        ["uri-reference"] = s => IsUri(UriReferenceSyntax, s),
        ["iri"] = s => IsUri(IriSyntax, s),
        ["iri-reference"] = s => IsUri(IriReferenceSyntax, s),
        ["uri-template"] = s => UriTemplate().IsMatch(s),
        ["uuid"] = s => Uuid().IsMatch(s),
        ["json-pointer"] = s => JsonPointer.Parse(s) is not null,
        ["relative-json-pointer"] = IsRelativeJsonPointer,
        ["regex"] = EcmaRegex.IsValid,
    };

    /// <summary>The formats asserted, for documentation and tests.</summary>
    public static IReadOnlyCollection<string> Names => Checks.Keys;

    public static bool TryGet(string format, out Func<string, bool> check) => Checks.TryGetValue(format, out check!);

    // RFC 3339 section 5.6: full-date "T" full-time, with a leap second allowed only at 23:59:60 UTC.
    private static bool IsDateTime(string s)
    {
        var t = s.IndexOfAny(['T', 't']);
        return t == 10 && IsDate(s[..t]) && IsTime(s[(t + 1)..]);
    }

    private static bool IsDate(string s)
    {
        var m = Date().Match(s);
        if (!m.Success)
        {
            return false;
        }

        var (year, month, day) = (Int(m, "y"), Int(m, "m"), Int(m, "d"));
        var leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        return month is >= 1 and <= 12 && day >= 1
            && day <= (month == 2 ? (leap ? 29 : 28) : DateTime.DaysInMonth(2001, month));
    }

    private static bool IsTime(string s)
    {
        var m = Time().Match(s);
        if (!m.Success)
        {
            return false;
        }

        var (hour, minute, second) = (Int(m, "h"), Int(m, "m"), Int(m, "s"));
        var (offsetHour, offsetMinute) = m.Groups["oh"].Success ? (Int(m, "oh"), Int(m, "om")) : (0, 0);
        if (hour > 23 || minute > 59 || second > 60 || offsetHour > 23 || offsetMinute > 59)
        {
            return false;
        }

        if (second < 60)
        {
            return true;
        }

        var sign = m.Groups["sign"].Value == "-" ? -1 : 1;
        var utcMinutes = (((hour * 60) + minute - (sign * ((offsetHour * 60) + offsetMinute))) % 1440 + 1440) % 1440;
        return utcMinutes == (23 * 60) + 59;
    }

    private static int Int(Match m, string group) => int.Parse(m.Groups[group].ValueSpan, CultureInfo.InvariantCulture);

    // RFC 5321 mailbox: dot-atom or quoted local part; a host name or an address literal as the domain.
    private static bool IsEmail(string s)
    {
        var at = s.LastIndexOf('@');
        if (at <= 0 || !LocalPart().IsMatch(s[..at]))
        {
            return false;
        }

        var domain = s[(at + 1)..];
        if (domain.StartsWith('[') && domain.EndsWith(']'))
        {
            var literal = domain[1..^1];
            return literal.StartsWith("IPv6:", StringComparison.Ordinal) ? IsIPv6(literal[5..]) : IsIPv4(literal);
        }

        return IsHostname(domain);
    }

    // draft-bhutton-relative-json-pointer: a non-negative integer, then "#" or a JSON Pointer.
    private static bool IsRelativeJsonPointer(string s)
    {
        var digits = 0;
        while (digits < s.Length && char.IsAsciiDigit(s[digits]))
        {
            digits++;
        }

        return digits > 0 && (digits == 1 || s[0] != '0') && (s[digits..] == "#" || JsonPointer.Parse(s[digits..]) is not null);
    }

    // RFC 1123: dot-separated labels of letters, digits and inner hyphens, 63 characters each, 253 in all.
    private static bool IsHostname(string s) => s.Length <= 253 && Hostname().IsMatch(s);

    private static bool IsIPv4(string s) => IPv4().IsMatch(s);

    // RFC 4291 text form: eight 16-bit hex groups, one "::" for a run of zero groups, an IPv4 tail allowed.
    private static bool IsIPv6(string s)
    {
        if (s.Length == 0 || s.Any(c => !(char.IsAsciiHexDigit(c) || c is ':' or '.')))
        {
            return false;
        }

        var groups = 0;
        var compressed = s.IndexOf("::", StringComparison.Ordinal);
        if (compressed >= 0 && s.IndexOf("::", compressed + 1, StringComparison.Ordinal) >= 0)
        {
            return false;
        }

        var parts = compressed >= 0 ? [s[..compressed], s[(compressed + 2)..]] : new[] { s };
        for (var p = 0; p < parts.Length; p++)
        {
            if (parts[p].Length == 0)
            {
                continue;
            }

            var pieces = parts[p].Split(':');
            for (var i = 0; i < pieces.Length; i++)
            {
                var last = p == parts.Length - 1 && i == pieces.Length - 1;
                if (last && pieces[i].Contains('.', StringComparison.Ordinal))
                {
                    if (!IsIPv4(pieces[i]))
                    {
                        return false;
                    }

                    groups += 2;
                }
                else if (pieces[i].Length is 0 or > 4 || pieces[i].Contains('.', StringComparison.Ordinal))
                {
                    return false;
                }
                else
                {
                    groups++;
                }
            }
        }

        return compressed >= 0 ? groups < 8 : groups == 8;
    }

    // RFC 3986 URI / URI-reference and RFC 3987 IRI / IRI-reference, with IP literals checked by IsIPv6.
    private static bool IsUri(Regex syntax, string s)
    {
        var m = syntax.Match(s);
        return m.Success && (!m.Groups["ip6"].Success || IsIPv6(m.Groups["ip6"].Value));
    }

    /// <summary>The RFC 3986 ABNF as a regex; an IRI also allows non-ASCII characters (ucschar, iprivate) wherever unreserved ones go.</summary>
    private static Regex UriGrammar(bool iri, bool reference)
    {
        var unreserved = iri ? @"A-Za-z0-9._~\-\u00A0-\uD7FF\uE000-\uFDCF\uFDF0-\uFFEF" : @"A-Za-z0-9._~\-";
        var astral = iri ? @"|[\uD800-\uDBFF][\uDC00-\uDFFF]" : "";
        string Chars(string extra) => $"(?:[{unreserved}{extra}]|%[0-9A-Fa-f]{{2}}{astral})";
        var pchar = Chars("!$&'()*+,;=:@");
        var host = $@"(?:\[(?:(?<ip6>[0-9A-Fa-f:.]+)|[vV][0-9A-Fa-f]+\.[A-Za-z0-9._~!$&'()*+,;=:-]+)\]|{Chars("!$&'()*+,;=")}*)";
        var authority = $"(?:{Chars("!$&'()*+,;=:")}*@)?{host}(?::[0-9]*)?";
        var segments = $"(?:/{pchar}*)*";
        var absolutePath = $"/(?:{pchar}+{segments})?";
        var uri = $"[A-Za-z][A-Za-z0-9+.-]*:(?://{authority}{segments}|{absolutePath}|{pchar}+{segments}|)";
        var relative = $"(?://{authority}{segments}|{absolutePath}|{Chars("!$&'()*+,;=@")}+{segments}|)";
        var tail = $@"(?:\?(?:{pchar}|[/?])*)?(?:#(?:{pchar}|[/?])*)?";
        return new Regex($@"^(?:{uri}{(reference ? "|" + relative : "")}){tail}\z", RegexOptions.CultureInvariant);
    }

    // RFC 6570 (level 4): literals (an apostrophe allowed, as the errata does) and {op varspec,...} expressions.
    [GeneratedRegex(@"^(?:[\x21\x23\x24\x26-\x3B\x3D\x3F-\x5B\x5D\x5F\x61-\x7A\x7E\u00A0-\uD7FF\uE000-\uFFFD]|[\uD800-\uDBFF][\uDC00-\uDFFF]|%[0-9A-Fa-f]{2}"
        + @"|\{[+#./;?&=,!@|]?(?:" + VarSpec + ")(?:," + VarSpec + @")*\})*\z")]
    private static partial Regex UriTemplate();

    private const string VarChar = "(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})";
    private const string VarSpec = VarChar + @"(?:\.?" + VarChar + @")*(?::[1-9][0-9]{0,3}|\*)?";

    [GeneratedRegex(@"^(?<y>[0-9]{4})-(?<m>[0-9]{2})-(?<d>[0-9]{2})\z")]
    private static partial Regex Date();

    [GeneratedRegex(@"^(?<h>[0-9]{2}):(?<m>[0-9]{2}):(?<s>[0-9]{2})(?:\.[0-9]+)?(?:[Zz]|(?<sign>[+-])(?<oh>[0-9]{2}):(?<om>[0-9]{2}))\z")]
    private static partial Regex Time();

    // RFC 3339 appendix A: dur-date / dur-time / dur-week, each larger unit optionally followed by the next smaller.
    [GeneratedRegex(@"^P(?:(?:[0-9]+D|[0-9]+M(?:[0-9]+D)?|[0-9]+Y(?:[0-9]+M(?:[0-9]+D)?)?)(?:T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S))?|T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S)|[0-9]+W)\z")]
    private static partial Regex Duration();

    [GeneratedRegex(@"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\z")]
    private static partial Regex Uuid();

    [GeneratedRegex(@"^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}\z")]
    private static partial Regex IPv4();

    [GeneratedRegex(@"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\z")]
    private static partial Regex Hostname();

    [GeneratedRegex(@"^(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*|""(?:[\x20\x21\x23-\x5B\x5D-\x7E]|\\[\x20-\x7E])*"")\z")]
    private static partial Regex LocalPart();
}
