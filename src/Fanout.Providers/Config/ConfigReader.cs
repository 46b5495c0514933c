using System.Globalization;
using System.Text.Json;

namespace Fanout.Providers.Config;

/// <summary>
/// Reads one object of a provider entry, collecting every problem (unknown field, wrong type) as a diagnostic
/// instead of stopping at the first. Lenient about scalars: <c>"0.5"</c> reads as a number, as YAML writers expect.
/// Public so that the HTTP simulator's config reports problems the way provider entries do.
/// </summary>
public sealed class ConfigReader
{
    private readonly JsonElement _value;
    private readonly string _path;
    private readonly string _subject;
    private readonly SourceLocation? _location;
    private readonly List<PlanDiagnostic> _problems;

    /// <summary>A reader of <paramref name="value"/>, which must be a mapping (or absent).</summary>
    /// <param name="value">The object read.</param>
    /// <param name="subject">What every problem is about (a provider's name, a file).</param>
    /// <param name="path">Where the object is within the entry (<c>""</c> for the entry itself).</param>
    /// <param name="location">Where the entry is in its file, if known.</param>
    /// <param name="problems">Where problems are collected.</param>
    public ConfigReader(JsonElement value, string subject, string path, SourceLocation? location, List<PlanDiagnostic> problems)
    {
        _value = value;
        _subject = subject;
        _path = path;
        _location = location;
        _problems = problems;
        if (value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined or JsonValueKind.Null))
        {
            Problem($"{Where("")} must be a mapping, got {InputResolver.JsonTypeOf(value)}");
        }
    }

    /// <summary>Whether the value is a mapping (not absent).</summary>
    public bool IsObject => _value.ValueKind == JsonValueKind.Object;

    /// <summary>The keys written.</summary>
    public IEnumerable<string> Keys => IsObject ? _value.EnumerateObject().Select(p => p.Name) : [];

    /// <summary>Reports a problem with this object.</summary>
    /// <param name="message">What is wrong, starting with where (see <see cref="Where"/>).</param>
    public void Problem(string message) => _problems.Add(new PlanDiagnostic($"{_subject}: {message}", _location));

    /// <summary>"field 'x.y'" for messages.</summary>
    /// <param name="key">A key of this object, or <c>""</c> for the object itself.</param>
    public string Where(string key) => key.Length == 0 ? (_path.Length == 0 ? "the entry" : $"'{_path}'") : $"'{Join(key)}'";

    /// <summary>Reports every key not in <paramref name="allowed"/>.</summary>
    /// <param name="allowed">The keys this object may hold.</param>
    public void Allow(params string[] allowed)
    {
        foreach (var key in Keys.Where(k => !allowed.Contains(k, StringComparer.Ordinal)))
        {
            Problem($"unknown field {Where(key)}{Names.DidYouMean(key, allowed)}; allowed here: {string.Join(", ", allowed)}");
        }
    }

    /// <summary>Whether <paramref name="key"/> is written, and not null.</summary>
    /// <param name="key">The key.</param>
    public bool Has(string key) => Get(key) is not null;

    /// <summary>The value under <paramref name="key"/>; null when absent or null.</summary>
    /// <param name="key">The key.</param>
    public JsonElement? Get(string key) =>
        IsObject && _value.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    /// <summary>A reader for the object under <paramref name="key"/>, reporting into the same problems.</summary>
    /// <param name="key">The key.</param>
    public ConfigReader Child(string key) => new(Get(key) ?? default, _subject, Join(key), _location, _problems);

    /// <summary>A reader for item <paramref name="index"/> of the list under <paramref name="key"/> ("script[0]").</summary>
    /// <param name="key">The list's key.</param>
    /// <param name="index">The item's index.</param>
    /// <param name="value">The item.</param>
    public ConfigReader Item(string key, int index, JsonElement value) =>
        new(value, _subject, $"{Join(key)}[{index.ToString(CultureInfo.InvariantCulture)}]", _location, _problems);

    /// <summary>The string under <paramref name="key"/> (a number or boolean reads as its text); null when absent or
    /// of another type (reported).</summary>
    /// <param name="key">The key.</param>
    public string? String(string key)
    {
        if (Get(key) is not { } v)
        {
            return null;
        }

        if (v.ValueKind is JsonValueKind.String)
        {
            return v.GetString();
        }

        if (v.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
        {
            return v.GetRawText();
        }

        Problem($"{Where(key)} must be a string, got {InputResolver.JsonTypeOf(v)}");
        return null;
    }

    /// <summary>The number under <paramref name="key"/>; null when absent or not a number (reported).</summary>
    /// <param name="key">The key.</param>
    public double? Number(string key) => Get(key) is { } v ? ToNumber(v, key) : null;

    /// <summary>A probability in [0, 1]; out of range is reported and read as absent.</summary>
    /// <param name="key">The key.</param>
    public double? Probability(string key)
    {
        if (Number(key) is not { } value)
        {
            return null;
        }

        if (value is < 0 or > 1)
        {
            Problem($"{Where(key)} must be between 0 and 1, got {value}");
            return null;
        }

        return value;
    }

    /// <summary><paramref name="v"/> as a number (a numeric string included); null, reported, when it is not one or
    /// is beyond ±1e12.</summary>
    /// <param name="v">The value.</param>
    /// <param name="key">The key it is under, for the message.</param>
    public double? ToNumber(JsonElement v, string key)
    {
        double? number = v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetDouble(out var d) => d,
            JsonValueKind.String when double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => null,
        };

        // Every number a setting holds is a count, rate, weight or price: past ±1e12 it is a typo, and infinity or a
        // value beyond decimal's range would throw wherever it is converted.
        if (number is { } n && Math.Abs(n) <= MaxNumber)
        {
            return n;
        }

        Problem(number is null
            ? $"{Where(key)} must be a number, got {Show(v)}"
            : $"{Where(key)} must be a number between -1e12 and 1e12, got {Show(v)}");
        return null;
    }

    private const double MaxNumber = 1e12;

    /// <summary>The duration under <paramref name="key"/> (<c>800ms</c>, <c>1.5s</c>, <c>2m</c>); null when absent or
    /// not a duration (reported).</summary>
    /// <param name="key">The key.</param>
    public TimeSpan? Duration(string key) => Get(key) is { } v ? ToDuration(v, key) : null;

    /// <summary><paramref name="v"/> as a duration; null, reported, when it is not one.</summary>
    /// <param name="v">The value.</param>
    /// <param name="key">The key it is under, for the message.</param>
    public TimeSpan? ToDuration(JsonElement v, string key)
    {
        var text = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        };
        if (Durations.TryParse(text, out var duration))
        {
            return duration;
        }

        Problem($"{Where(key)} must be a duration such as 800ms, 1.5s or 2m, got {Show(v)}");
        return null;
    }

    /// <summary>The path of <paramref name="key"/> within the entry (<c>x.y</c>).</summary>
    /// <param name="key">The key.</param>
    public string Join(string key) => _path.Length == 0 ? key : $"{_path}.{key}";

    private static string Show(JsonElement v) => v.ValueKind == JsonValueKind.String ? $"'{v.GetString()}'" : v.GetRawText();
}
