using System.Text.RegularExpressions;

namespace Fanout;

/// <summary>Rules for ids and "did you mean" suggestions.</summary>
public static partial class Names
{
    /// <summary>True if <paramref name="id"/> is a valid task, input, pool or provider name.</summary>
    public static bool IsValid(string id) => ValidName().IsMatch(id);

    /// <summary>The candidate closest to <paramref name="name"/> by edit distance, if close enough to be a likely typo.</summary>
    public static string? Nearest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var d = EditDistance(name, candidate);
            if (d < bestDistance)
            {
                (best, bestDistance) = (candidate, d);
            }
        }

        return best is not null && bestDistance <= Math.Max(1, name.Length / 3) ? best : null;
    }

    /// <summary>" (did you mean 'x'?)" or the empty string.</summary>
    public static string DidYouMean(string name, IEnumerable<string> candidates) =>
        Nearest(name, candidates) is { } near ? $" (did you mean '{near}'?)" : "";

    /// <summary>The set of names of <paramref name="candidates"/> for many look-ups (see <see cref="NameIndex"/>).</summary>
    public static NameIndex Index(IEnumerable<string> candidates) => new(candidates);

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and swaps of adjacent
    /// characters each cost 1, so the commonest typo ("retyr") is as close as a single wrong letter.</summary>
    internal static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_-]{0,127}$")]
    private static partial Regex ValidName();
}

/// <summary>
/// "Did you mean" over one set of names, asked many times: a plan with 20,000 bad references must not compare each
/// with every one of 20,000 ids. A small set is scanned, exactly as <see cref="Names.Nearest"/> does. A large one is
/// indexed once by every name with one character deleted (symmetric deletes): two names within two edits share such a
/// key, so a look-up compares only the few names that share one. Suggestions further than two edits, which only long
/// names allow, are given up for sets that large.
/// </summary>
public sealed class NameIndex
{
    private const int ScanAtMost = 256;
    private readonly List<string> _names;
    private Dictionary<string, List<int>>? _byDeletion;

    internal NameIndex(IEnumerable<string> candidates)
    {
        _names = [.. candidates.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>" (did you mean 'x'?)" or the empty string, as <see cref="Names.DidYouMean"/>.</summary>
    public string DidYouMean(string name) => Nearest(name) is { } near ? $" (did you mean '{near}'?)" : "";

    /// <summary>The closest name if close enough to be a likely typo (ties: the earliest).</summary>
    public string? Nearest(string name)
    {
        if (_names.Count <= ScanAtMost)
        {
            return Names.Nearest(name, _names);
        }

        _byDeletion ??= Build();
        var seen = new HashSet<int>();
        string? best = null;
        var bestDistance = int.MaxValue;
        var bestIndex = int.MaxValue;
        foreach (var key in Keys(name.ToLowerInvariant()))
        {
            if (!_byDeletion.TryGetValue(key, out var indexes))
            {
                continue;
            }

            foreach (var i in indexes)
            {
                if (!seen.Add(i))
                {
                    continue;
                }

                var d = Names.EditDistance(name, _names[i]);
                if (d < bestDistance || d == bestDistance && i < bestIndex)
                {
                    (best, bestDistance, bestIndex) = (_names[i], d, i);
                }
            }
        }

        return best is not null && bestDistance <= Math.Max(1, name.Length / 3) ? best : null;
    }

    private Dictionary<string, List<int>> Build()
    {
        var index = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < _names.Count; i++)
        {
            foreach (var key in Keys(_names[i].ToLowerInvariant()))
            {
                if (!index.TryGetValue(key, out var list))
                {
                    index[key] = list = [];
                }

                if (list.Count == 0 || list[^1] != i)
                {
                    list.Add(i);
                }
            }
        }

        return index;
    }

    /// <summary>The name itself and the name with each one character deleted (case folded, as the distance is).</summary>
    private static IEnumerable<string> Keys(string name)
    {
        yield return name;
        for (var i = 0; i < name.Length; i++)
        {
            yield return string.Concat(name.AsSpan(0, i), name.AsSpan(i + 1));
        }
    }
}
