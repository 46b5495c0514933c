using System.Text.Json;
using Fanout.Templates;

namespace Fanout;

/// <summary>
/// What a fan-out (<c>foreach</c>) means, in one place for every engine that runs one (the in-process scheduler and
/// the distributed PostgreSQL workers): which items a task expands to, and what the group's result looks like once
/// every item settled.
/// </summary>
public static class ForeachItems
{
    /// <summary>The array <paramref name="task"/> expands over: its literal items, else its path resolved against the
    /// run's inputs and its dependencies' results. Throws <see cref="TemplateException"/> when the path is undefined
    /// or not an array.</summary>
    public static JsonElement Resolve(TaskDefinition task, JsonElement inputs, IReadOnlyDictionary<string, DependencyResult> dependencies)
    {
        var spec = task.Foreach!;
        if (spec.Items is { } literal)
        {
            return literal;
        }

        var scope = TemplateScope.Create(inputs, dependencies.ToDictionary(d => d.Key, d => (System.Text.Json.Nodes.JsonNode?)d.Value.ToNode()));
        if (!PathExpression.TryResolve(scope.Json, spec.Path!, out var value, out var prefix))
        {
            throw new TemplateException($"'{spec.Path}' is undefined (resolved as far as '{prefix}')");
        }

        return value.ValueKind == JsonValueKind.Array
            ? value
            : throw new TemplateException($"'{spec.Path}' is {value.ValueKind.ToString().ToLowerInvariant()}, not an array");
    }

    /// <summary>The settled group's output (item outputs in order, null for items that did not succeed) and its items
    /// array (index, item, status, output, error), as dependents see them.</summary>
    public static (JsonElement Output, JsonElement Items) Settled(IReadOnlyList<(int Index, JsonElement? Item, TaskState State, JsonElement? Output, string? Error)> children) =>
        (JsonSerializer.SerializeToElement(children.Select(c => c.Output).ToList()),
         JsonSerializer.SerializeToElement(children.Select(c => new
         {
             index = c.Index,
             item = c.Item,
             status = c.State.ToWire(),
             output = c.Output,
             error = c.Error,
         })));

    /// <summary>The reason a settled group failed (too many failed items), or null when it did not.</summary>
    public static string? FailureReason(TaskDefinition task, int failures, int count) =>
        failures > task.Foreach!.MaxFailures
            ? $"{failures} of {count} items did not succeed (max_failures: {task.Foreach.MaxFailures})"
            : null;
}
