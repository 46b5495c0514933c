using System.Text.Json;
using Fanout.Storage;

namespace Fanout;

internal sealed partial class MergeExecutor
{
    /// <summary>A merge is a pure function of its body and its dependencies' results: the key hashes those.</summary>
    public string? CacheKey(TaskContext context)
    {
        var parts = new List<string?>
        {
            Kind,
            JsonSerializer.Serialize(context.Task.Body, context.Task.Body.GetType()),
            context.Inputs.ValueKind == JsonValueKind.Undefined ? null : context.Inputs.GetRawText(),
            context.Item?.GetRawText(),
        };
        foreach (var (id, dependency) in context.Dependencies.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            parts.Add(id);
            parts.Add(dependency.State.ToWire());
            parts.Add(dependency.Output?.GetRawText());
            parts.Add(dependency.Items?.GetRawText());
            parts.Add(dependency.Error);
        }

        return ContentHash.OfParts(parts);
    }
}
