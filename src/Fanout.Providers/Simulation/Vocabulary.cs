using System.Globalization;
using System.Text;

namespace Fanout.Providers.Simulation;

/// <summary>Plausible words, sentences and shaped strings (titles, URLs, HTML…) for synthetic output.</summary>
internal static class Vocabulary
{
    private static readonly string[] Words =
    [
        "system", "garden", "river", "market", "signal", "engine", "window", "harbor", "forest", "pattern",
        "travel", "kitchen", "design", "budget", "energy", "camera", "network", "planet", "coffee", "library",
        "simple", "bright", "quiet", "rapid", "gentle", "modern", "honest", "clever", "steady", "vivid",
        "build", "improve", "explore", "measure", "connect", "deliver", "balance", "capture", "observe", "prepare",
        "mountain", "summer", "winter", "morning", "evening", "city", "village", "ocean", "island", "valley",
        "guide", "review", "story", "method", "result", "feature", "update", "insight", "choice", "detail",
        "practical", "careful", "complete", "useful", "natural", "local", "global", "digital", "fresh", "solid",
        "team", "project", "process", "service", "product", "customer", "research", "quality", "value", "growth",
        "light", "color", "texture", "shape", "sound", "motion", "space", "surface", "balance", "rhythm",
        "plan", "idea", "tool", "path", "step", "goal", "task", "note", "page", "section",
        "reliable", "elegant", "compact", "durable", "flexible", "efficient", "curious", "thoughtful", "patient", "bold",
        "compare", "choose", "simplify", "organize", "describe", "review", "share", "create", "support", "discover",
    ];

    /// <summary>One word.</summary>
    public static string Word(Random random) => Words[random.Next(Words.Length)];

    /// <summary><paramref name="count"/> words separated by spaces.</summary>
    public static string Phrase(Random random, int count) =>
        string.Join(' ', Enumerable.Range(0, Math.Max(1, count)).Select(_ => Word(random)));

    /// <summary>Words in title case.</summary>
    public static string Title(Random random, int count) =>
        string.Join(' ', Phrase(random, count).Split(' ').Select(Capitalize));

    /// <summary>A sentence of <paramref name="count"/> words, capitalized, with a full stop.</summary>
    public static string Sentence(Random random, int count) => Capitalize(Phrase(random, count)) + ".";

    /// <summary>Words joined by dashes, URL-safe.</summary>
    public static string Slug(Random random, int count) => Phrase(random, count).Replace(' ', '-');

    /// <summary>
    /// Prose of <paramref name="tokens"/> tokens or one less (at four characters a token), in sentences and paragraphs:
    /// words are added while they fit, so the length tracks the target without overshooting it.
    /// </summary>
    public static string Prose(Random random, int tokens)
    {
        var limit = Math.Max(0, tokens) * 4L - 1; // keep one character for the closing full stop
        var text = new StringBuilder();
        var inSentence = 0;
        var sentenceLength = random.Next(6, 15);
        var sentences = 0;
        while (true)
        {
            var separator = text.Length == 0 ? "" : inSentence == 0 && sentences % 4 == 0 ? "\n\n" : " ";
            var word = Word(random);
            if (text.Length + separator.Length + word.Length > limit)
            {
                // Try the shortest words before giving up, to land close to the target.
                word = Words.Where(w => text.Length + separator.Length + w.Length <= limit).OrderBy(w => w.Length).FirstOrDefault() ?? "";
                if (word.Length == 0)
                {
                    break;
                }
            }

            text.Append(separator).Append(inSentence == 0 ? Capitalize(word) : word);
            if (++inSentence == sentenceLength && text.Length < limit)
            {
                text.Append('.');
                inSentence = 0;
                sentences++;
                sentenceLength = random.Next(6, 15);
            }
        }

        if (text.Length == 0 || text[^1] != '.')
        {
            text.Append('.');
        }

        return text.ToString();
    }

    /// <summary>A string shaped by what its property name suggests (a title, a URL, HTML…), else a few words.</summary>
    public static string ForName(Random random, string? name)
    {
        var parts = NameParts(name);
        bool Has(params string[] words) => words.Any(parts.Contains);
        if (Has("url", "uri", "link", "href", "src", "website"))
        {
            return Url(random);
        }

        if (Has("email", "mail"))
        {
            return Email(random);
        }

        if (Has("html"))
        {
            return $"<h2>{Title(random, 3)}</h2><p>{Sentence(random, random.Next(10, 20))}</p>";
        }

        if (Has("code", "snippet", "script"))
        {
            return $"function {Word(random)}{Capitalize(Word(random))}(input) {{ return input.{Word(random)}; }}";
        }

        if (Has("slug"))
        {
            return Slug(random, random.Next(2, 5));
        }

        if (parts.Count > 0 && parts[^1] is "id" or "key")
        {
            return $"{Word(random)}-{random.Next(0x1000, 0xFFFF):x4}";
        }

        if (Has("color", "colour"))
        {
            return $"#{random.Next(0x1000000):x6}";
        }

        if (Has("at", "timestamp", "datetime"))
        {
            return DateTime(random);
        }

        if (Has("date", "day"))
        {
            return Date(random);
        }

        if (Has("lang", "language", "locale"))
        {
            return "en";
        }

        if (Has("name", "author"))
        {
            return Title(random, random.Next(1, 4));
        }

        if (Has("title", "heading", "headline", "subject"))
        {
            return Title(random, random.Next(3, 7));
        }

        if (Has("alt", "caption", "label"))
        {
            return Sentence(random, random.Next(5, 11));
        }

        if (Has("prompt", "instruction", "instructions", "query", "question"))
        {
            return Sentence(random, random.Next(15, 31));
        }

        if (Has("description", "summary", "reason", "excerpt", "explanation", "rationale", "meta"))
        {
            return Sentence(random, random.Next(12, 31));
        }

        if (Has("content", "body", "text", "paragraph", "article", "answer", "markdown"))
        {
            return Prose(random, random.Next(40, 120));
        }

        if (Has("tag", "tags", "keyword", "keywords", "category", "topic"))
        {
            return Phrase(random, random.Next(1, 3));
        }

        return Phrase(random, random.Next(1, 5));
    }

    /// <summary>The lower-case words of a property name: <c>imageUrl</c>, <c>image_url</c> and <c>image-url</c> give <c>image</c>, <c>url</c>.</summary>
    internal static List<string> NameParts(string? name)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        var previous = '\0';
        foreach (var c in name ?? "")
        {
            // A new word starts at a separator or at an upper-case letter after a lower-case one (camelCase).
            if (!char.IsLetterOrDigit(c) || (char.IsUpper(c) && char.IsLower(previous)))
            {
                Flush();
            }

            if (char.IsLetterOrDigit(c))
            {
                current.Append(char.ToLowerInvariant(c));
            }

            previous = c;
        }

        Flush();
        return parts;

        void Flush()
        {
            if (current.Length > 0)
            {
                parts.Add(current.ToString());
                current.Clear();
            }
        }
    }

    public static string Url(Random random) => $"https://example.com/{Slug(random, random.Next(1, 4))}";

    public static string Email(Random random) => $"{Word(random)}.{Word(random)}@example.com";

    public static string Date(Random random) => Instant(random).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string DateTime(Random random) => Instant(random).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Time(Random random) => Instant(random).ToString("HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static string Uuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 (Guid stores the first three groups little-endian)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes).ToString();
    }

    /// <summary>A name in singular form (<c>images</c> → <c>image</c>), as a hint for array elements.</summary>
    public static string? Singular(string? name) =>
        name is { Length: > 3 } && name.EndsWith('s') && !name.EndsWith("ss", StringComparison.Ordinal) ? name[..^1] : name;

    private static DateTimeOffset Instant(Random random) =>
        new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero).AddSeconds(random.Next(0, 365 * 24 * 3600));

    private static string Capitalize(string word) => word.Length == 0 ? word : char.ToUpperInvariant(word[0]) + word[1..];
}
