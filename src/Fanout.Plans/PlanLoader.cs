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
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        return Parse(Read(path, fullPath, "plan file"), path, Path.GetDirectoryName(fullPath));
    }

    /// <summary>
    /// The <c>providers:</c> of a file holding only that section (<c>--providers FILE</c>: a key pool, say), read and
    /// checked as a plan's would be, with that file's own lines in diagnostics.
    /// </summary>
    /// <param name="path">A .yaml, .yml or .json file.</param>
    public static ImmutableArray<ProviderDefinition> LoadProviders(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var text = Read(path, fullPath, "providers file");
        var ctx = new ReadContext(path, Path.GetDirectoryName(fullPath)!);
        var root = NodeReader.Read(text, path, ctx.Diagnostics, IsJson(path));
        var providers = PlanReader.ReadProvidersFile(root, ctx);
        return ctx.Diagnostics.Count > 0 ? throw new PlanException(Order(ctx.Diagnostics, path)) : providers;
    }

    private static string Read(string path, string fullPath, string what)
    {
        try
        {
            return InputFile.ReadText(fullPath);
        }
        catch (InputFileException e)
        {
            throw new PlanException($"cannot read {what} '{path}' ({e.Message})");
        }
    }

    private static bool IsJson(string fileName) => Path.GetExtension(fileName).Equals(".json", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses plan text; <paramref name="fileName"/> labels locations, <paramref name="baseDirectory"/> resolves relative paths.</summary>
    /// <param name="text">YAML or JSON (JSON when <paramref name="fileName"/> ends in .json).</param>
    /// <param name="fileName">The label of locations and <see cref="PlanDefinition.SourceFile"/>.</param>
    /// <param name="baseDirectory">Where <c>prompt_file</c>, <c>@file</c> defaults and schema files are looked up; null: the current directory.</param>
    public static PlanDefinition Parse(string text, string fileName, string? baseDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        var ctx = new ReadContext(fileName, Path.GetFullPath(baseDirectory ?? Environment.CurrentDirectory));
        var root = NodeReader.Read(text, fileName, ctx.Diagnostics, IsJson(fileName));
        var plan = PlanReader.Read(root, ctx);

        // A file that could not be parsed has no plan worth validating further.
        var diagnostics = root is null ? ctx.Diagnostics : [.. ctx.Diagnostics, .. TaskGraph.Validate(plan)];
        if (diagnostics.Count > 0)
        {
            throw new PlanException(Order(diagnostics, fileName));
        }

        return plan;
    }

    /// <summary>File order (the plan's own file first), unlocated problems last, duplicates once.</summary>
    private static List<PlanDiagnostic> Order(IEnumerable<PlanDiagnostic> diagnostics, string fileName) =>
        [.. diagnostics.Distinct()
            .OrderBy(d => d.Location is null ? 2 : d.Location.File == fileName ? 0 : 1)
            .ThenBy(d => d.Location?.File, StringComparer.Ordinal)
            .ThenBy(d => d.Location?.Line ?? 0)
            .ThenBy(d => d.Location?.Column ?? 0)];
}
