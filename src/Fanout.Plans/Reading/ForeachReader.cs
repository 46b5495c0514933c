using Fanout.Plans.Yaml;

namespace Fanout.Plans.Reading;

/// <summary>Reads <c>foreach</c> (a path or a literal array), <c>as</c> and <c>max_failures</c>.</summary>
internal static class ForeachReader
{
    // Names templates already use for something else.
    private static readonly string[] ReservedNames = ["tasks", "inputs", "index"];

    public static ForeachSpec? Read(MappingNode map, string prefix, ReadContext ctx)
    {
        var spec = map["foreach"] is { } node ? Source(node, prefix, ctx) : null;
        var asNode = map["as"];
        var maxNode = map["max_failures"];
        if (spec is null)
        {
            if (map["foreach"] is null)
            {
                foreach (var orphan in new[] { ("as", asNode), ("max_failures", maxNode) }.Where(o => o.Item2 is not null))
                {
                    ctx.Error($"{prefix}'{orphan.Item1}' only applies to a task with 'foreach'", orphan.Item2!);
                }
            }

            return null;
        }

        if (asNode is not null && ctx.String(asNode, "as", prefix) is { } name)
        {
            if (!Names.IsValid(name) || ReservedNames.Contains(name))
            {
                ctx.Error($"{prefix}'as' must be a plain name other than {string.Join(", ", ReservedNames)}, got '{name}'", asNode);
            }
            else
            {
                spec = spec with { As = name };
            }
        }

        if (maxNode is not null && ctx.Int(maxNode, "max_failures", 0, prefix) is { } max)
        {
            spec = spec with { MaxFailures = max };
        }

        return spec;
    }

    private static ForeachSpec? Source(Node node, string prefix, ReadContext ctx)
    {
        switch (node)
        {
            case ScalarNode { Type: ScalarType.String } s:
                // Accept "{{tasks.x.output}}" too: the braces are what people type for every other template.
                var path = s.Value.Trim();
                if (path.StartsWith("{{", StringComparison.Ordinal) && path.EndsWith("}}", StringComparison.Ordinal))
                {
                    path = path[2..^2].Trim();
                }

                if (path.Length == 0 || path.Contains("{{", StringComparison.Ordinal) || path.Contains(' ', StringComparison.Ordinal))
                {
                    ctx.Error($"{prefix}'foreach' must be a path such as tasks.plan.output.items or inputs.pages, or a literal array; got '{s.Value}'", node);
                    return null;
                }

                return new ForeachSpec { Path = path };
            case SequenceNode:
                return new ForeachSpec { Items = JsonConversion.ToElement(node) };
            default:
                ctx.Error($"{prefix}'foreach' must be a path such as tasks.plan.output.items, or a literal array; got {node.TypeName}", node);
                return null;
        }
    }
}
