namespace Fanout.Templates;

/// <summary>
/// Static checks of every template in a plan. A template may read <c>inputs.X</c> (declared inputs),
/// <c>tasks.X</c> (only tasks listed in <c>needs</c>), and in a fan-out <c>item</c>, <c>index</c> and the
/// <c>as:</c> name. A reference to an existing task that is not in <c>needs</c> is an error rather than an implicit
/// edge: the dependency structure is what a reader of the plan must be able to see, and a silent edge could
/// serialise work that was meant to run in parallel.
/// </summary>
internal static class ReferenceChecker
{
    public static IEnumerable<PlanDiagnostic> Check(PlanDefinition plan, IReadOnlyDictionary<string, TaskDefinition> byId, NameIndex ids)
    {
        var inputs = plan.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var task in plan.Tasks)
        {
            var templates = task.Body.Templates().ToList();
            if (task.Foreach?.Path is { } foreachPath)
            {
                templates.Add(("foreach", "{{" + foreachPath + "}}"));
            }

            foreach (var (field, template) in templates)
            {
                if (!TemplateEngine.IsTemplate(template))
                {
                    continue;
                }

                var location = task.Locate(field);
                if (TemplateEngine.SyntaxError(template) is { } syntax)
                {
                    yield return new($"task '{task.Id}' {field}: template syntax error: {syntax}", location);
                    continue;
                }

                foreach (var reference in TemplateScanner.References(template).DistinctBy(r => r.Path))
                {
                    if (Problem(reference, task, field == "foreach", byId, ids, inputs) is { } message)
                    {
                        yield return new($"task '{task.Id}' {field}: {message}", location);
                    }
                }
            }
        }
    }

    private static string? Problem(TemplateReference reference, TaskDefinition task, bool isForeachSource, IReadOnlyDictionary<string, TaskDefinition> byId, NameIndex ids, HashSet<string> inputs)
    {
        var segments = PathExpression.Split(reference.Path);
        var itemNames = task.Foreach is null || isForeachSource ? [] : new[] { "item", "index", task.Foreach.As };
        switch (segments[0])
        {
            case "tasks" when segments.Length < 2:
                return "'tasks' needs a task id, as in tasks.<id>.output";
            case "tasks":
                var id = segments[1];
                if (!byId.ContainsKey(id))
                {
                    return $"references unknown task '{id}'{ids.DidYouMean(id)}";
                }

                if (!task.Needs.Contains(id))
                {
                    return $"references tasks.{id} but '{id}' is not in needs; add it to needs";
                }

                return segments.Length > 2 && segments[2] is not ("output" or "status" or "error" or "items")
                    ? $"tasks.{id}.{segments[2]} does not exist; a task exposes output, status, error and (fan-out) items"
                    : null;
            case "inputs" when segments.Length >= 2 && !inputs.Contains(segments[1]):
                return $"references undeclared input '{segments[1]}'{Names.DidYouMean(segments[1], inputs)}; declare it under 'inputs:'";
            case "inputs":
                return null;
            case var root when itemNames.Contains(root):
                return null;
            case "item" or "index" when !reference.InBlockScope:
                return $"'{segments[0]}' is only defined in a task with foreach";
            default:
                return reference.InBlockScope
                    ? null
                    : $"unknown reference '{reference.Path}': templates read inputs.<name>, tasks.<id>.output|status|error|items"
                      + (task.Foreach is null ? "" : $", item, index and {task.Foreach.As}");
        }
    }
}
