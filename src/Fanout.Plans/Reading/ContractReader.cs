using System.Collections.Immutable;
using System.Text.Json;
using Fanout.Plans.Yaml;

namespace Fanout.Plans.Reading;

/// <summary>Reads <c>contracts:</c>: a map of name to <c>{ producer, consumers, schema }</c>; the graph checks come later.</summary>
internal static class ContractReader
{
    public static IEnumerable<ContractDefinition> Read(MappingNode map, ReadContext ctx)
    {
        foreach (var (key, value) in map.Entries)
        {
            var name = key.Value;
            var prefix = $"contract '{name}': ";
            if (!Names.IsValid(name))
            {
                ctx.Error($"invalid contract name '{name}': use letters, digits, '_' and '-', starting with a letter or '_'", key);
            }

            if (ctx.Mapping(value, name, "contracts: ") is not { } entry)
            {
                continue;
            }

            ctx.CheckFields(entry, PlanFields.Contract, prefix);
            var locations = ImmutableDictionary.CreateBuilder<string, SourceLocation>(StringComparer.Ordinal);
            string? producer = null;
            if (entry["producer"] is { } producerNode)
            {
                producer = ctx.String(producerNode, "producer", prefix);
                locations["producer"] = producerNode.Location;
            }
            else
            {
                ctx.Error($"{prefix}'producer' is required: the id of the task whose output the contract describes", entry);
            }

            var consumers = ImmutableArray.CreateBuilder<string>();
            if (entry["consumers"] is { } consumersNode && ctx.Sequence(consumersNode, "consumers", prefix) is { } list)
            {
                for (var i = 0; i < list.Items.Count; i++)
                {
                    if (ctx.String(list.Items[i], $"consumers[{i}]", prefix) is { } consumer)
                    {
                        locations[$"consumers[{consumers.Count}]"] = list.Items[i].Location;
                        consumers.Add(consumer);
                    }
                }
            }

            JsonElement? schema = null;
            if (entry["schema"] is { } schemaNode)
            {
                locations["schema"] = schemaNode.Location;
                schema = Schema(schemaNode, prefix, ctx);
            }
            else
            {
                ctx.Error($"{prefix}'schema' is required: an inline JSON Schema or the path of a .json/.yaml file", entry);
            }

            if (producer is null || schema is null)
            {
                continue;
            }

            yield return new ContractDefinition
            {
                Name = name,
                Producer = producer,
                Consumers = consumers.ToImmutable(),
                Schema = schema.Value,
                Location = key.Location,
                Locations = locations.ToImmutable(),
            };
        }
    }

    /// <summary>An inline schema, or a .json/.yaml file next to the plan (as for <c>output.schema</c>).</summary>
    private static JsonElement? Schema(Node node, string prefix, ReadContext ctx)
    {
        JsonElement? schema = node switch
        {
            MappingNode or ScalarNode { Type: ScalarType.Boolean } => JsonConversion.ToElement(node),
            ScalarNode { Type: ScalarType.String } path when FileValues.IsData(path.Value) => ctx.ReadValue(path.Value, path, $"{prefix}'schema'"),
            ScalarNode { Type: ScalarType.String } path => Fail(ctx, $"{prefix}'schema' file must be .json, .yaml or .yml, got '{path.Value}'", path),
            _ => Fail(ctx, $"{prefix}'schema' must be a JSON Schema object or a file path, got {node.TypeName}", node),
        };
        if (schema is { ValueKind: not (JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False) } bad)
        {
            return Fail(ctx, $"{prefix}'schema' must be a JSON Schema (an object), got {bad.ValueKind.ToString().ToLowerInvariant()}", node);
        }

        return schema;
    }

    private static JsonElement? Fail(ReadContext ctx, string message, Node at)
    {
        ctx.Error(message, at);
        return null;
    }
}
