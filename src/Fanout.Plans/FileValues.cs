using System.Text.Json;
using Fanout.Plans.Yaml;

namespace Fanout.Plans;

/// <summary>Reads values from files: JSON and YAML are parsed (by extension), anything else is text.</summary>
internal static class FileValues
{
    /// <summary>True for extensions parsed as data.</summary>
    public static bool IsData(string path) => Path.GetExtension(path).ToLowerInvariant() is ".json" or ".yaml" or ".yml";

    /// <summary>The value of a file's text; diagnostics carry <paramref name="label"/>.</summary>
    public static JsonElement? FromText(string text, string path, string label, List<PlanDiagnostic> diagnostics)
    {
        if (!IsData(path))
        {
            return JsonSerializer.SerializeToElement(text);
        }

        var before = diagnostics.Count;
        var node = NodeReader.Read(text, label, diagnostics, json: Path.GetExtension(path).Equals(".json", StringComparison.OrdinalIgnoreCase));
        if (diagnostics.Count > before)
        {
            return null;
        }

        return node is null ? JsonSerializer.SerializeToElement<object?>(null) : JsonConversion.ToElement(node);
    }
}
