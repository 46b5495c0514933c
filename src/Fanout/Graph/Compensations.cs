namespace Fanout;

/// <summary>
/// The rules for <c>compensate:</c>. A task named by another's <c>compensate</c> is a compensation: it runs only when
/// a run with <c>on_failure: rollback</c> fails, after everything else has settled, and only if the task it undoes
/// succeeded. So it may need nothing but that task (whose output its templates can then read), nothing may need it,
/// and it undoes exactly one task.
/// </summary>
internal static class Compensations
{
    public static IEnumerable<PlanDiagnostic> Check(PlanDefinition plan, IReadOnlyDictionary<string, TaskDefinition> byId, NameIndex ids)
    {
        var undoneBy = new Dictionary<string, TaskDefinition>(StringComparer.Ordinal);
        foreach (var task in plan.Tasks)
        {
            if (task.Compensate is not { } id)
            {
                continue;
            }

            var at = task.Locate("compensate");
            if (id == task.Id)
            {
                yield return new($"task '{task.Id}' cannot compensate itself", at);
            }
            else if (!byId.TryGetValue(id, out var undo))
            {
                yield return new($"task '{task.Id}' compensate: unknown task '{id}'{ids.DidYouMean(id)}", at);
            }
            else if (!undoneBy.TryAdd(id, task))
            {
                yield return new($"task '{id}' already compensates '{undoneBy[id].Id}'; a compensation undoes one task", at);
            }
            else if (undo.Compensate is not null)
            {
                yield return new($"task '{id}' compensates '{task.Id}' and so runs only on rollback; it cannot have a compensation of its own", undo.Locate("compensate"));
            }
            else if (undo.Needs.FirstOrDefault(n => n != task.Id) is { } other)
            {
                yield return new($"task '{id}' compensates '{task.Id}' and runs only on rollback, so it may need only '{task.Id}' (not '{other}')", undo.Locate("needs"));
            }
        }

        foreach (var task in plan.Tasks)
        {
            foreach (var need in task.Needs)
            {
                if (undoneBy.TryGetValue(need, out var undone) && undone.Id != task.Id)
                {
                    yield return new($"task '{task.Id}' needs '{need}', which compensates '{undone.Id}' and runs only on rollback", task.Locate("needs"));
                }
            }
        }
    }
}
