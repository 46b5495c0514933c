using System.Collections.Immutable;
using System.Text.Json;
using Fanout.Plans.Yaml;

namespace Fanout.Plans.Reading;

/// <summary>
/// Reads one entry of <c>tasks:</c>. Fields shared by every kind are read here; the body by <see cref="BodyReader"/>.
/// Every field's location is recorded under the key core uses in its diagnostics (<c>needs[1]</c>, <c>argv[0]</c>,
/// <c>env.NAME</c>, <c>merge.a[0]</c>…).
/// </summary>
internal static class TaskReader
{
    private static readonly (string, DependencyTrigger)[] Triggers = [("succeeded", DependencyTrigger.Succeeded), ("settled", DependencyTrigger.Settled)];

    /// <summary>Every task of <c>tasks:</c>, followed by the compensations its <c>compensate:</c> commands define.</summary>
    public static IEnumerable<TaskDefinition> ReadAll(SequenceNode list, PlanDefaults defaults, ReadContext ctx)
    {
        var generated = new List<TaskDefinition>();
        var tasks = list.Items.Select((t, i) => Read(t, i, defaults, ctx, generated)).OfType<TaskDefinition>().ToList();
        return [.. tasks, .. generated];
    }

    /// <summary>The task, or null when it has no usable id (after reporting why).</summary>
    private static TaskDefinition? Read(Node node, int index, PlanDefaults defaults, ReadContext ctx, List<TaskDefinition> generated)
    {
        if (node is not MappingNode map)
        {
            ctx.Error($"task #{index + 1} must be an object with an 'id', got {node.TypeName}", node);
            return null;
        }

        string? id = null;
        if (map["id"] is { } idNode)
        {
            id = ctx.String(idNode, "id", $"task #{index + 1}: ");
        }
        else
        {
            ctx.Error($"task #{index + 1} needs an 'id'", map);
        }

        var prefix = id is null ? $"task #{index + 1}: " : $"task '{id}': ";
        var locations = ImmutableDictionary.CreateBuilder<string, SourceLocation>(StringComparer.Ordinal);
        foreach (var (key, value) in map.Entries)
        {
            locations[key.Value] = value.Location;
        }

        var task = new TaskDefinition { Id = id ?? "", Body = BodyReader.Placeholder };
        task = ReadCommon(map, task, defaults, prefix, locations, ctx);
        var body = BodyReader.Read(map, prefix, locations, ctx);
        task = FootprintReader.Read(map, task with { Body = body ?? BodyReader.Placeholder }, prefix, locations, ctx, generated);
        if (body is SectionsMergeBody sections)
        {
            CheckSections(map, task, sections, prefix, ctx);
        }

        return id is null ? null : task with { Body = body ?? BodyReader.Placeholder, Locations = locations.ToImmutable() };
    }

    /// <summary>A sections merge reads its prompts' status, durations and tokens, so it must depend on each of them and
    /// run when they settle: with the default trigger a failed prompt would skip the merge instead of becoming a note.</summary>
    private static void CheckSections(MappingNode map, TaskDefinition task, SectionsMergeBody body, string prefix, ReadContext ctx)
    {
        var at = (Node?)map["sections"] ?? map;
        var missing = body.Sections.Select(s => s.Task).Where(t => !task.Needs.Contains(t)).ToList();
        if (missing.Count > 0)
        {
            ctx.Error($"{prefix}'sections' uses {string.Join(", ", missing.Select(m => $"'{m}'"))}, which 'needs' must list too", at);
        }

        if (task.After != DependencyTrigger.Settled)
        {
            ctx.Error($"{prefix}a sections merge needs 'after: settled', so that a failed prompt becomes a note instead of skipping the merge", (Node?)map["after"] ?? at);
        }
    }

    private static TaskDefinition ReadCommon(MappingNode map, TaskDefinition task, PlanDefaults defaults, string prefix,
        ImmutableDictionary<string, SourceLocation>.Builder locations, ReadContext ctx)
    {
        if (map["description"] is { } description)
        {
            task = task with { Description = ctx.String(description, "description", prefix) };
        }

        if (map["needs"] is { } needs)
        {
            task = task with { Needs = ReadNeeds(needs, prefix, locations, ctx) };
        }

        if (map["after"] is { } after)
        {
            task = task with { After = ctx.Enum(after, "after", Triggers, prefix) ?? DependencyTrigger.Succeeded };
        }

        if (map["optional"] is { } optional)
        {
            task = task with { Optional = ctx.Bool(optional, "optional", prefix) ?? false };
        }

        if (map["cache"] is { } cache)
        {
            task = task with { Cache = ctx.Bool(cache, "cache", prefix) };
        }

        if (map["pure"] is { } pure)
        {
            task = task with { Pure = ctx.Bool(pure, "pure", prefix) ?? false };
        }

        if (map["pool"] is { } pool and not SequenceNode)
        {
            task = task with { Pool = ctx.String(pool, "pool", prefix) };
        }

        if (map["timeout"] is { } timeout)
        {
            task = task with { Timeout = ctx.Duration(timeout, "timeout", prefix) };
        }

        if (map["estimate"] is { } estimate)
        {
            task = task with { Estimate = ctx.Duration(estimate, "estimate", prefix) };
        }

        if (map["retry"] is { } retry)
        {
            task = task with { Retry = RetryReader.Read(retry, defaults.Retry, prefix, ctx) };
        }

        return task with { Foreach = ForeachReader.Read(map, prefix, ctx) };
    }

    /// <summary><c>needs: a</c> or <c>needs: [a, b]</c>.</summary>
    private static ImmutableArray<string> ReadNeeds(Node node, string prefix, ImmutableDictionary<string, SourceLocation>.Builder locations, ReadContext ctx)
    {
        if (node is ScalarNode)
        {
            locations["needs[0]"] = node.Location;
            return ctx.String(node, "needs", prefix) is { } single ? [single] : [];
        }

        if (ctx.Sequence(node, "needs", prefix) is not { } list)
        {
            return [];
        }

        var result = ImmutableArray.CreateBuilder<string>();
        for (var i = 0; i < list.Items.Count; i++)
        {
            if (ctx.String(list.Items[i], $"needs[{i}]", prefix) is not { } need)
            {
                continue;
            }

            if (result.Contains(need))
            {
                ctx.Error($"{prefix}'{need}' is listed twice in 'needs'", list.Items[i]);
            }
            else
            {
                // Keys follow the position in the resulting array, which is what core indexes by.
                locations[$"needs[{result.Count}]"] = list.Items[i].Location;
                result.Add(need);
            }
        }

        return result.ToImmutable();
    }

    internal static JsonElement NullElement { get; } = JsonSerializer.SerializeToElement<object?>(null);
}
