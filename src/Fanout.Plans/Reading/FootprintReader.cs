using System.Collections.Immutable;
using Fanout.Footprints;
using Fanout.Plans.Yaml;

namespace Fanout.Plans.Reading;

/// <summary>
/// Reads the fields that say what a task touches and how it is undone: <c>reads:</c> / <c>writes:</c> (a resource or a
/// list: paths relative to the plan, globs, <c>db:orders</c>-style names), <c>pool:</c> as a list, and
/// <c>compensate:</c> (a task id, or a command whose argv becomes a process task <c>ID-undo</c> that needs the task).
/// </summary>
internal static class FootprintReader
{
    public static TaskDefinition Read(MappingNode map, TaskDefinition task, string prefix,
        ImmutableDictionary<string, SourceLocation>.Builder locations, ReadContext ctx, List<TaskDefinition> generated)
    {
        if (map["reads"] is not null || map["writes"] is not null)
        {
            var reads = Resources(map["reads"], "reads", prefix, locations, ctx);
            var writes = Resources(map["writes"], "writes", prefix, locations, ctx);
            task = task with { Footprint = Footprint.Of(reads, writes, ctx.BaseDirectory) };
        }

        if (map["pool"] is SequenceNode pools)
        {
            var names = pools.Items.Select((p, i) => ctx.String(p, $"pool[{i}]", prefix)).OfType<string>().Distinct().ToList();
            task = task with { Pool = names.FirstOrDefault(), ExtraPools = [.. names.Skip(1)] };
        }

        switch (map["compensate"])
        {
            case null:
                break;
            case SequenceNode argv:
                var undoId = task.Id + "-undo";
                var command = argv.Items.Select((a, i) => ctx.Text(a, $"compensate[{i}]", prefix)).OfType<string>().ToImmutableArray();
                if (command.IsEmpty)
                {
                    ctx.Error($"{prefix}'compensate' needs a command (argv) or a task id", argv);
                    break;
                }

                var at = ImmutableDictionary.CreateBuilder<string, SourceLocation>(StringComparer.Ordinal);
                at["id"] = argv.Location;
                for (var i = 0; i < argv.Items.Count; i++)
                {
                    at[$"argv[{i}]"] = argv.Items[i].Location;
                }

                generated.Add(new TaskDefinition
                {
                    Id = undoId,
                    Description = $"undoes '{task.Id}'",
                    Needs = [task.Id],
                    Body = new ProcessBody { Argv = command, WorkingDirectory = (task.Body as ProcessBody)?.WorkingDirectory },
                    Locations = at.ToImmutable(),
                });
                task = task with { Compensate = undoId };
                break;
            case var id:
                task = task with { Compensate = ctx.String(id, "compensate", prefix) };
                break;
        }

        return task;
    }

    private static List<string> Resources(Node? node, string field, string prefix,
        ImmutableDictionary<string, SourceLocation>.Builder locations, ReadContext ctx)
    {
        var items = node switch
        {
            null => [],
            ScalarNode => [node],
            _ => ctx.Sequence(node, field, prefix)?.Items ?? [],
        };
        var resources = new List<string>();
        for (var i = 0; i < items.Count; i++)
        {
            if (ctx.String(items[i], $"{field}[{i}]", prefix) is not { } text)
            {
                continue;
            }

            locations[$"{field}[{i}]"] = items[i].Location;
            if (text.Length == 0)
            {
                ctx.Error($"{prefix}'{field}' entries must not be empty", items[i]);
            }
            else if (text.Contains("{{", StringComparison.Ordinal))
            {
                ctx.Error($"{prefix}'{field}' is read before the run and cannot hold templates; name the files (or a glob or directory covering them)", items[i]);
            }
            else
            {
                resources.Add(text);
            }
        }

        return resources;
    }
}
