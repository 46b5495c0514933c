using System.Collections.Immutable;
using Fanout.Plans.Reading;
using Fanout.Plans.Yaml;

namespace Fanout.Plans;

/// <summary>
/// Reads plan files (YAML or JSON) into <see cref="PlanDefinition"/>s and validates them fully: the file's structure
/// and types here, then the graph and templates with <see cref="TaskGraph.Validate"/>. Every problem found is reported
/// at once, each with file:line:column. The format is described in docs/plan-format.md and schema/plan.schema.json.
/// </summary>
public static class PlanLoader
{
    /// <summary>Loads the plan at <paramref name="path"/>; throws <see cref="PlanException"/> listing every problem.</summary>
    /// <param name="path">A .yaml, .yml or .json file. Locations in diagnostics use this path as given.</param>
    public static PlanDefinition Load(string path)
    {
        var text = ReadFile(path, "plan file", out var fullPath);
        return Parse(text, path, Path.GetDirectoryName(fullPath));
    }

    /// <summary>Reads the plan at <paramref name="path"/> once and compiles it, validating it once: what a run needs.
    /// <paramref name="text"/> is what was read (a run journals it, so it can be resumed and shown without the file).</summary>
    /// <param name="path">A .yaml, .yml or .json file. Locations in diagnostics use this path as given.</param>
    /// <param name="text">The file's text.</param>
    public static TaskGraph Compile(string path, out string text)
    {
        text = ReadFile(path, "plan file", out var fullPath);
        return Compile(text, path, Path.GetDirectoryName(fullPath));
    }

    /// <summary>Parses and compiles plan text, validating it once; arguments as for <see cref="Parse"/>.</summary>
    public static TaskGraph Compile(string text, string fileName, string? baseDirectory = null) =>
        Read(text, fileName, baseDirectory, compile: true).Graph!;

    /// <summary>
    /// The <c>providers:</c> of a file holding only that section (<c>--providers FILE</c>: a key pool, say), read and
    /// checked as a plan's would be, with that file's own lines in diagnostics.
    /// </summary>
    /// <param name="path">A .yaml, .yml or .json file.</param>
    public static ImmutableArray<ProviderDefinition> LoadProviders(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var text = ReadFile(path, "providers file", out var fullPath);
        var ctx = new ReadContext(path, Path.GetDirectoryName(fullPath)!);
        var root = NodeReader.Read(text, path, ctx.Diagnostics, IsJson(path));
        var providers = PlanReader.ReadProvidersFile(root, ctx);
        return ctx.Diagnostics.Count > 0 ? throw new PlanException(Order(ctx.Diagnostics, path)) : providers;
    }

    private static bool IsJson(string fileName) => Path.GetExtension(fileName).Equals(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses plan text; <paramref name="fileName"/> labels locations, <paramref name="baseDirectory"/> resolves relative paths.</summary>
    /// <param name="text">YAML or JSON (JSON when <paramref name="fileName"/> ends in .json).</param>
    /// <param name="fileName">The label of locations and <see cref="PlanDefinition.SourceFile"/>.</param>
    /// <param name="baseDirectory">Where <c>prompt_file</c>, <c>@file</c> defaults and schema files are looked up; null: the current directory.</param>
    public static PlanDefinition Parse(string text, string fileName, string? baseDirectory = null) =>
        Read(text, fileName, baseDirectory, compile: false).Plan;

    private static string ReadFile(string path, string what, out string fullPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        fullPath = Path.GetFullPath(path);
        try
        {
            return InputFile.ReadText(fullPath);
        }
        catch (InputFileException e)
        {
            throw new PlanException($"cannot read {what} '{path}' ({e.Message})");
        }
    }

    /// <summary>Reads the plan; the graph's problems are found by one pass of <see cref="TaskGraph.Validate"/>, which
    /// <see cref="TaskGraph.Compile"/> runs itself when asked to compile.</summary>
    private static (PlanDefinition Plan, TaskGraph? Graph) Read(string text, string fileName, string? baseDirectory, bool compile)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        var ctx = new ReadContext(fileName, Path.GetFullPath(baseDirectory ?? Environment.CurrentDirectory));
        var root = NodeReader.Read(text, fileName, ctx.Diagnostics, IsJson(fileName));
        var plan = PlanReader.Read(root, ctx);

        // A file that could not be parsed has no plan worth validating further.
        if (root is null || ctx.Diagnostics.Count > 0)
        {
            var diagnostics = root is null ? ctx.Diagnostics : [.. ctx.Diagnostics, .. TaskGraph.Validate(plan)];
            if (diagnostics.Count > 0)
            {
                throw new PlanException(Order(diagnostics, fileName));
            }
        }

        if (!compile)
        {
            var problems = TaskGraph.Validate(plan);
            return problems.Count > 0 ? throw new PlanException(Order(problems, fileName)) : (plan, null);
        }

        try
        {
            return (plan, TaskGraph.Compile(plan));
        }
        catch (PlanException e)
        {
            throw new PlanException(Order(e.Diagnostics, fileName));
        }
    }

    /// <summary>File order (the plan's own file first), unlocated problems last, duplicates once.</summary>
    private static List<PlanDiagnostic> Order(IEnumerable<PlanDiagnostic> diagnostics, string fileName) =>
        [.. diagnostics.Distinct()
            .OrderBy(d => d.Location is null ? 2 : d.Location.File == fileName ? 0 : 1)
            .ThenBy(d => d.Location?.File, StringComparer.Ordinal)
            .ThenBy(d => d.Location?.Line ?? 0)
            .ThenBy(d => d.Location?.Column ?? 0)];
}
