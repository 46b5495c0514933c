using System.Text.Json;

namespace Fanout.Plans;

/// <summary>
/// Parses the values of <c>--input</c> options: <c>NAME=VALUE</c> (VALUE is JSON when it parses as JSON, else a
/// string), <c>NAME=@FILE</c> (the file's contents: parsed when .json/.yaml/.yml, else text; <c>@@</c> escapes a
/// leading '@'), and <c>@FILE</c> (a .json/.yaml/.yml object whose properties are inputs). Later values win.
/// </summary>
public static class InputValues
{
    /// <summary>The inputs given by <paramref name="args"/>; throws <see cref="PlanException"/> listing every bad one.</summary>
    /// <param name="args">The values of each <c>--input</c>, in order.</param>
    /// <param name="baseDirectory">Where relative file paths resolve (usually the current directory).</param>
    public static IReadOnlyDictionary<string, JsonElement> Parse(IEnumerable<string> args, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(baseDirectory);
        var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var problems = new List<PlanDiagnostic>();
        foreach (var arg in args)
        {
            if (arg.StartsWith('@'))
            {
                AddFile(arg, baseDirectory, values, problems);
                continue;
            }

            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            var name = equals < 0 ? "" : arg[..equals].Trim();
            if (name.Length == 0)
            {
                problems.Add(new($"--input '{arg}' must be NAME=VALUE, NAME=@FILE or @FILE"));
                continue;
            }

            var text = arg[(equals + 1)..];
            if (text.StartsWith("@@", StringComparison.Ordinal))
            {
                values[name] = JsonSerializer.SerializeToElement(text[1..]);
            }
            else if (text.StartsWith('@'))
            {
                if (ReadFile(text[1..], baseDirectory, $"--input {name}", problems) is { } fromFile)
                {
                    values[name] = fromFile;
                }
            }
            else
            {
                values[name] = JsonOrString(text);
            }
        }

        return problems.Count > 0 ? throw new PlanException(problems) : values;
    }

    private static void AddFile(string arg, string baseDirectory, Dictionary<string, JsonElement> values, List<PlanDiagnostic> problems)
    {
        var path = arg[1..];
        if (!FileValues.IsData(path))
        {
            problems.Add(new($"--input {arg}: a file of inputs must be .json, .yaml or .yml (for one input from a file, write NAME=@{path})"));
            return;
        }

        if (ReadFile(path, baseDirectory, $"--input {arg}", problems) is not { } value)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new($"--input {arg}: the file must hold an object whose properties are inputs, got {InputResolver.JsonTypeOf(value)}"));
            return;
        }

        foreach (var property in value.EnumerateObject())
        {
            values[property.Name] = property.Value;
        }
    }

    private static JsonElement? ReadFile(string path, string baseDirectory, string what, List<PlanDiagnostic> problems)
    {
        try
        {
            return FileValues.FromText(InputFile.ReadText(Path.GetFullPath(path, baseDirectory)), path, path, problems);
        }
        catch (InputFileException e)
        {
            problems.Add(new($"{what}: cannot read '{path}' ({e.Message})"));
            return null;
        }
    }

    private static JsonElement JsonOrString(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(text);
        }
    }
}
