using System.Globalization;
using System.Text.Json;
using Fanout.Plans.Yaml;

namespace Fanout.Plans.Reading;

/// <summary>
/// State of one plan read: where diagnostics go and how relative paths resolve. Its typed getters are tolerant: a
/// value of the wrong type yields a diagnostic at the value and null, and the caller carries on without it.
/// </summary>
internal sealed class ReadContext(string file, string baseDirectory)
{
    /// <summary>The plan file's label, as the user gave it.</summary>
    public string File { get; } = file;

    /// <summary>Absolute directory relative paths resolve against.</summary>
    public string BaseDirectory { get; } = baseDirectory;

    public List<PlanDiagnostic> Diagnostics { get; } = [];

    /// <summary>Reports a problem at <paramref name="at"/>, unless that value's own problem was already reported.</summary>
    public void Error(string message, Node at)
    {
        if (at is not ErrorNode)
        {
            Diagnostics.Add(new(message, at.Location));
        }
    }

    /// <summary>
    /// Reports keys of <paramref name="map"/> outside <paramref name="known"/>, suggesting the nearest;
    /// <paramref name="prefix"/> starts each message, and <paramref name="explain"/> may give a better one for a key.
    /// </summary>
    public void CheckFields(MappingNode map, IReadOnlyCollection<string> known, string prefix, Func<string, string?>? explain = null)
    {
        foreach (var (key, _) in map.Entries)
        {
            if (known.Contains(key.Value))
            {
                continue;
            }

            var message = explain?.Invoke(key.Value);
            if (message is null)
            {
                var near = Names.DidYouMean(key.Value, known);
                message = near.Length > 0
                    ? $"unknown field '{key.Value}'{near}"
                    : $"unknown field '{key.Value}'; expected one of: {string.Join(", ", known)}";
            }

            Error(prefix + message, key);
        }
    }

    public string? String(Node node, string field, string prefix = "") =>
        node is ScalarNode { Type: ScalarType.String } s ? s.Value : TypeError<string>(node, field, "a string", prefix);

    /// <summary>A scalar's text whatever its type (for argv and env, where <c>8080</c> means the text "8080").</summary>
    public string? Text(Node node, string field, string prefix = "") =>
        node is ScalarNode { Type: not ScalarType.Null } s ? s.Value : TypeError<string>(node, field, "a string", prefix);

    public bool? Bool(Node node, string field, string prefix = "") =>
        node is ScalarNode { Type: ScalarType.Boolean } s ? s.Value is "true" or "True" or "TRUE" : TypeError<bool?>(node, field, "a boolean (true or false)", prefix);

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int? Int(Node node, string field, int min, string prefix = "", int max = int.MaxValue)
    {
        if (node is not ScalarNode { Type: ScalarType.Integer } s)
        {
            return TypeError<int?>(node, field, "an integer", prefix);
        }

        var value = JsonConversion.AsLong(s);
        if (value is null || value < min || value > max)
        {
            Error($"{prefix}'{field}' must be an integer {Range(min, max, int.MaxValue)}, got {s.Value}", node);
            return null;
        }

        return (int)value;
    }

    /// <summary>A finite number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public double? Number(Node node, string field, double min, double max, string prefix = "")
    {
        if (node is not ScalarNode { Type: ScalarType.Integer or ScalarType.Number } s
            || !double.TryParse(s.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return TypeError<double?>(node, field, "a number", prefix);
        }

        if (!double.IsFinite(value) || value < min || value > max)
        {
            Error($"{prefix}'{field}' must be a number {Range(min, max, double.MaxValue)}, got {s.Value}", node);
            return null;
        }

        return value;
    }

    /// <summary>A duration of at most <see cref="PlanLimits.MaxDuration"/>.</summary>
    public TimeSpan? Duration(Node node, string field, string prefix = "")
    {
        if (node is ScalarNode { Type: ScalarType.String or ScalarType.Integer or ScalarType.Number } s && Durations.TryParse(s.Value, out var value))
        {
            if (value <= PlanLimits.MaxDuration)
            {
                return value;
            }

            Error($"{prefix}'{field}' must be at most {PlanLimits.MaxDuration.TotalHours.ToString(CultureInfo.InvariantCulture)}h (7 days), got {s.Value}", node);
            return null;
        }

        var got = node is ScalarNode { Type: ScalarType.String } text ? $"'{text.Value}'" : node.TypeName;
        Error($"{prefix}'{field}' must be a duration such as 250ms, 1.5s, 2m, 1h or a number of seconds, got {got}", node);
        return null;
    }

    private static string Range<T>(T min, T max, T unbounded)
        where T : IFormattable =>
        max.Equals(unbounded)
            ? $"≥ {min.ToString(null, CultureInfo.InvariantCulture)}"
            : $"from {min.ToString(null, CultureInfo.InvariantCulture)} to {max.ToString(null, CultureInfo.InvariantCulture)}";

    /// <summary>One of <paramref name="options"/>, by name; otherwise a diagnostic listing them.</summary>
    public T? Enum<T>(Node node, string field, IReadOnlyList<(string Name, T Value)> options, string prefix = "")
        where T : struct
    {
        var text = String(node, field, prefix);
        if (text is null)
        {
            return null;
        }

        foreach (var (name, value) in options)
        {
            if (name == text)
            {
                return value;
            }
        }

        var names = options.Select(o => o.Name).ToList();
        Error($"{prefix}'{field}' must be one of: {string.Join(", ", names)}; got '{text}'{Names.DidYouMean(text, names)}", node);
        return null;
    }

    public MappingNode? Mapping(Node node, string field, string prefix = "") =>
        node as MappingNode ?? TypeError<MappingNode>(node, field, "an object (a mapping)", prefix);

    public SequenceNode? Sequence(Node node, string field, string prefix = "") =>
        node as SequenceNode ?? TypeError<SequenceNode>(node, field, "an array (a list)", prefix);

    private T? TypeError<T>(Node node, string field, string expected, string prefix)
    {
        Error($"{prefix}'{field}' must be {expected}, got {node.TypeName}", node);
        return default;
    }

    /// <summary>A file next to the plan, as text; null with a diagnostic at <paramref name="at"/> when it cannot be read.</summary>
    public string? ReadText(string relative, Node at, string what)
    {
        try
        {
            return InputFile.ReadText(Path.GetFullPath(relative, BaseDirectory));
        }
        catch (InputFileException e)
        {
            Error($"{what}: cannot read '{relative}' ({e.Message})", at);
            return null;
        }
    }

    /// <summary>A file next to the plan as a JSON value: parsed if .json/.yaml/.yml, else a string.</summary>
    public JsonElement? ReadValue(string relative, Node at, string what)
    {
        var text = ReadText(relative, at, what);
        return text is null ? null : FileValues.FromText(text, relative, LabelFor(relative), Diagnostics);
    }

    /// <summary>How locations inside a file next to the plan are labelled: relative to where the plan's label points.</summary>
    private string LabelFor(string relative) =>
        Path.IsPathRooted(relative) ? relative : Path.Combine(Path.GetDirectoryName(File) ?? "", relative);
}
