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
            var consumerFiles = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
            if (entry["consumers"] is { } consumersNode && ctx.Sequence(consumersNode, "consumers", prefix) is { } list)
            {
                for (var i = 0; i < list.Items.Count; i++)
                {
                    if (Consumer(list.Items[i], i, prefix, ctx) is ({ } consumer, var file))
                    {
                        locations[$"consumers[{consumers.Count}]"] = list.Items[i].Location;
                        consumers.Add(consumer);
                        if (file is not null)
                        {
                            consumerFiles[consumer] = file;
                        }
                    }
                }
            }

            // 'file': the schema is a file the producer (an agent in a worktree) writes; else it is in the plan.
            var schemaFile = entry["file"] is { } fileNode ? ctx.String(fileNode, "file", prefix) : null;
            JsonElement? schema = null;
            if (entry["schema"] is { } schemaNode)
            {
                locations["schema"] = schemaNode.Location;
                schema = entry["file"] is null ? Schema(schemaNode, prefix, ctx)
                    : Fail(ctx, $"{prefix}give either 'schema' (in the plan) or 'file' (written by the producer), not both", schemaNode);
            }
            else if (entry["file"] is { } at)
            {
                locations["schema"] = at.Location;
                schema = default(JsonElement);
            }
            else
            {
                ctx.Error($"{prefix}'schema' is required: an inline JSON Schema or the path of a .json/.yaml file", entry);
            }

            if (consumerFiles.Count > 0 && entry["file"] is null)
            {
                ctx.Error($"{prefix}a consumer's 'file' is checked against a schema the producer writes: give the contract 'file'", entry);
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
                File = schemaFile,
                ConsumerFiles = consumerFiles.ToImmutable(),
                Location = key.Location,
                Locations = locations.ToImmutable(),
            };
        }
    }

    /// <summary>A consumer: its task id, or <c>{ task, file }</c> (the file it writes that the contract checks).</summary>
    private static (string? Task, string? File) Consumer(Node node, int i, string prefix, ReadContext ctx)
    {
        if (node is not MappingNode map)
        {
            return (ctx.String(node, $"consumers[{i}]", prefix), null);
        }

        ctx.CheckFields(map, ["task", "file"], $"{prefix}consumers[{i}]: ");
        var task = map["task"] is { } t ? ctx.String(t, "task", prefix) : null;
        if (task is null)
        {
            ctx.Error($"{prefix}consumers[{i}] needs 'task': the consumer's id", map);
        }

        return (task, map["file"] is { } f ? ctx.String(f, "file", prefix) : null);
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
