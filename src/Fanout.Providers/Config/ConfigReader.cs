using System.Globalization;
using System.Text.Json;

namespace Fanout.Providers.Config;

/// <summary>
/// Reads one object of a provider entry, collecting every problem (unknown field, wrong type) as a diagnostic
/// instead of stopping at the first. Lenient about scalars: <c>"0.5"</c> reads as a number, as YAML writers expect.
/// </summary>
internal sealed class ConfigReader
{
    private readonly JsonElement _value;
    private readonly string _path;
    private readonly string _subject;
    private readonly SourceLocation? _location;
    private readonly List<PlanDiagnostic> _problems;

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

    public bool IsObject => _value.ValueKind == JsonValueKind.Object;

    /// <summary>The keys written.</summary>
    public IEnumerable<string> Keys => IsObject ? _value.EnumerateObject().Select(p => p.Name) : [];

    public void Problem(string message) => _problems.Add(new PlanDiagnostic($"{_subject}: {message}", _location));

    /// <summary>"field 'x.y'" for messages.</summary>
    public string Where(string key) => key.Length == 0 ? (_path.Length == 0 ? "the entry" : $"'{_path}'") : $"'{Join(key)}'";

    /// <summary>Reports every key not in <paramref name="allowed"/>.</summary>
    public void Allow(params string[] allowed)
    {
        foreach (var key in Keys.Where(k => !allowed.Contains(k, StringComparer.Ordinal)))
        {
            Problem($"unknown field {Where(key)}{Names.DidYouMean(key, allowed)}; allowed here: {string.Join(", ", allowed)}");
        }
    }

    public bool Has(string key) => Get(key) is not null;

    public JsonElement? Get(string key) =>
        IsObject && _value.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public ConfigReader Child(string key) => new(Get(key) ?? default, _subject, Join(key), _location, _problems);

    /// <summary>A reader for item <paramref name="index"/> of the list under <paramref name="key"/> ("script[0]").</summary>
    public ConfigReader Item(string key, int index, JsonElement value) =>
        new(value, _subject, $"{Join(key)}[{index.ToString(CultureInfo.InvariantCulture)}]", _location, _problems);

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

    public double? Number(string key) => Get(key) is { } v ? ToNumber(v, key) : null;

    /// <summary>A probability in [0, 1]; out of range is reported and read as absent.</summary>
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

    public TimeSpan? Duration(string key) => Get(key) is { } v ? ToDuration(v, key) : null;

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

    public string Join(string key) => _path.Length == 0 ? key : $"{_path}.{key}";

    private static string Show(JsonElement v) => v.ValueKind == JsonValueKind.String ? $"'{v.GetString()}'" : v.GetRawText();
}
