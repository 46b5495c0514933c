using System.Collections.Immutable;
using System.Text.Json;
using Fanout.Plans.Yaml;

namespace Fanout.Plans.Reading;

/// <summary>
/// Reads a prompt task's <c>tools:</c>: each a command (<c>argv</c>) with <c>name</c>, <c>description</c>, the JSON
/// Schema of its arguments (<c>parameters</c>), <c>reads</c>/<c>writes</c>, <c>compensate</c> (an argv),
/// <c>timeout</c> and <c>pool</c>. Argv, footprints and compensation are templates over the call's <c>args</c>, so
/// unlike a task's footprint they are rendered per call.
/// </summary>
internal static class ToolReader
{
    public static ImmutableArray<ToolDefinition> Read(Node node, string prefix, ReadContext ctx)
    {
        if (ctx.Sequence(node, "tools", prefix) is not { } list)
        {
            return [];
        }

        var tools = ImmutableArray.CreateBuilder<ToolDefinition>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < list.Items.Count; i++)
        {
            var at = $"{prefix}tools[{i}]: ";
            if (ctx.Mapping(list.Items[i], $"tools[{i}]", prefix) is not { } map)
            {
                continue;
            }

            ctx.CheckFields(map, PlanFields.Tool, at);
            var name = map["name"] is { } n ? ctx.String(n, "name", at) : null;
            if (name is null)
            {
                if (map["name"] is null)
                {
                    ctx.Error($"{at}a tool needs 'name': what the model calls it", map);
                }

                continue;
            }

            if (!names.Add(name))
            {
                ctx.Error($"{at}tool '{name}' is declared twice", map["name"]!);
            }

            var argv = Strings(map["argv"], "argv", at, ctx);
            if (argv.IsEmpty)
            {
                ctx.Error($"{at}tool '{name}' needs a non-empty 'argv': the program and its arguments, templates over args", (Node?)map["argv"] ?? map);
            }

            JsonElement? parameters = null;
            if (map["parameters"] is { } schema)
            {
                parameters = schema is MappingNode ? JsonConversion.ToElement(schema) : null;
                if (parameters is null)
                {
                    ctx.Error($"{at}'parameters' must be a JSON Schema object, got {schema.TypeName}", schema);
                }
            }

            tools.Add(new ToolDefinition
            {
                Name = name,
                Description = map["description"] is { } d ? ctx.String(d, "description", at) ?? "" : "",
                Parameters = parameters,
                Argv = argv,
                Reads = Strings(map["reads"], "reads", at, ctx),
                Writes = Strings(map["writes"], "writes", at, ctx),
                Compensate = Strings(map["compensate"], "compensate", at, ctx),
                Timeout = map["timeout"] is { } t ? ctx.Duration(t, "timeout", at) : null,
                Pools = Strings(map["pool"], "pool", at, ctx),
                BaseDirectory = ctx.BaseDirectory,
            });
        }

        return tools.ToImmutable();
    }

    /// <summary>A string or a list of them (scalars as their text).</summary>
    private static ImmutableArray<string> Strings(Node? node, string field, string prefix, ReadContext ctx)
    {
        var items = node switch
        {
            null => [],
            ScalarNode => [node],
            _ => ctx.Sequence(node, field, prefix)?.Items ?? [],
        };
        return [.. items.Select((item, i) => ctx.Text(item, $"{field}[{i}]", prefix)).OfType<string>()];
    }
}
