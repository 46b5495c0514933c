using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Fanout.Plans;

namespace Fanout.Cli.Planning;

/// <summary>
/// Turns an orchestrator's answer (see <see cref="PlannerSchema"/>) into Fanout plan YAML: one <c>agent</c> task per
/// task, giving the worker a prompt built from the description, expected output and upstream outputs. Rejects the
/// answer, with one reason per problem, when a worker is unknown, a dependency does not exist, dependencies form a
/// cycle, ids are invalid or repeated, or the generated plan does not pass <see cref="PlanLoader.Parse"/>.
/// </summary>
internal static class PlanConverter
{
    private static readonly JsonSerializerOptions Quoting = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private sealed record Draft(string Id, string Worker, string Description, string ExpectedOutput, List<int> DependsOn, Contract? Contract);

    private sealed record Contract(string Name, List<(string Name, string Type)> Fields);

    /// <summary>The plan YAML, or null with <paramref name="reasons"/> filled in.</summary>
    public static string? Convert(string goal, string answer, IReadOnlyList<string> workers,
        IReadOnlyDictionary<string, string[]> commands, out List<string> reasons)
    {
        reasons = [];
        List<Draft> drafts;
        List<string> criteria;
        try
        {
            (drafts, criteria) = Read(answer);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            reasons.Add($"the answer is not a plan: {e.Message}");
            return null;
        }

        Check(drafts, workers, reasons);
        if (reasons.Count == 0)
        {
            // After the checks above, whose reasons read better than a schema error for the same fault: models may
            // ignore the schema in other ways (wrong types, extra fields) that the conversion would silently drop.
            var errors = CompiledSchema.Compile(PlannerSchema.Build(workers)).Validate(JsonDocument.Parse(answer).RootElement);
            reasons.AddRange(errors.Take(5).Select(e => $"the answer does not match the plan schema: {e}"));
        }

        if (reasons.Count > 0)
        {
            return null;
        }

        var yaml = Write(goal, drafts, criteria, workers, commands);
        try
        {
            PlanLoader.Parse(yaml, "<generated>");
        }
        catch (PlanException e)
        {
            reasons.AddRange(e.Diagnostics.Select(d => $"generated plan is invalid: {d}"));
            return null;
        }

        return yaml;
    }

    private static (List<Draft>, List<string>) Read(string answer)
    {
        using var document = JsonDocument.Parse(answer);
        var root = document.RootElement;
        var drafts = new List<Draft>();
        foreach (var task in root.GetProperty("tasks").EnumerateArray())
        {
            Contract? contract = null;
            if (task.TryGetProperty("contract", out var c) && c.ValueKind == JsonValueKind.Object)
            {
                contract = new Contract(c.GetProperty("name").GetString() ?? "",
                    [.. c.GetProperty("fields").EnumerateArray().Select(f => (f.GetProperty("name").GetString() ?? "", f.GetProperty("type").GetString() ?? "string"))]);
            }

            drafts.Add(new Draft(
                task.GetProperty("id").GetString() ?? "",
                task.GetProperty("worker").GetString() ?? "",
                task.GetProperty("description").GetString() ?? "",
                task.GetProperty("expected_output").GetString() ?? "",
                task.TryGetProperty("depends_on", out var deps) ? [.. deps.EnumerateArray().Select(d => d.GetInt32())] : [],
                contract));
        }

        var criteria = root.TryGetProperty("completion_criteria", out var cc)
            ? cc.EnumerateArray().Select(x => x.GetString() ?? "").ToList()
            : [];
        return (drafts, criteria);
    }

    private static void Check(List<Draft> drafts, IReadOnlyList<string> workers, List<string> reasons)
    {
        if (drafts.Count == 0)
        {
            reasons.Add("the plan has no tasks");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < drafts.Count; i++)
        {
            var d = drafts[i];
            if (!IsName(d.Id))
            {
                reasons.Add($"task {i + 1} has an invalid id '{d.Id}' (expected ^[a-z][a-z0-9_]*$)");
            }
            else if (!seen.Add(d.Id))
            {
                reasons.Add($"task id '{d.Id}' is used twice");
            }

            if (!workers.Contains(d.Worker, StringComparer.Ordinal))
            {
                reasons.Add($"task '{d.Id}' uses unknown worker '{d.Worker}' (workers: {string.Join(", ", workers)})");
            }

            foreach (var dep in d.DependsOn.Where(p => p < 1 || p > drafts.Count))
            {
                reasons.Add($"task '{d.Id}' depends on task {dep}, which does not exist (the plan has {drafts.Count} tasks)");
            }

            if (d.DependsOn.Contains(i + 1))
            {
                reasons.Add($"task '{d.Id}' depends on itself");
            }

            if (d.Contract is { } contract)
            {
                if (!IsName(contract.Name))
                {
                    reasons.Add($"task '{d.Id}' has a contract with an invalid name '{contract.Name}'");
                }

                foreach (var field in contract.Fields.Where(f => !IsName(f.Name)))
                {
                    reasons.Add($"contract '{contract.Name}' has an invalid field name '{field.Name}'");
                }
            }
        }

        if (reasons.Count == 0 && FindCycle(drafts) is { } cycle)
        {
            reasons.Add($"dependency cycle: {string.Join(" → ", cycle)}");
        }
    }

    private static bool IsName(string s) =>
        s.Length is > 0 and <= 64 && s[0] is >= 'a' and <= 'z' && s.All(ch => ch is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_');

    /// <summary>The ids along one cycle (first id repeated at the end), or null for a DAG.</summary>
    private static List<string>? FindCycle(List<Draft> drafts)
    {
        var state = new int[drafts.Count]; // 0 unvisited, 1 on the stack, 2 done
        var stack = new List<int>();
        List<string>? found = null;

        bool Visit(int i)
        {
            state[i] = 1;
            stack.Add(i);
            foreach (var dep in drafts[i].DependsOn.Select(p => p - 1))
            {
                if (state[dep] == 1)
                {
                    var start = stack.IndexOf(dep);
                    // Edges point from a task to what it needs; print the flow of work instead: producer → consumer.
                    var ids = stack.Skip(start).Select(x => drafts[x].Id).Reverse().ToList();
                    ids.Add(ids[0]);
                    found = ids;
                    return true;
                }

                if (state[dep] == 0 && Visit(dep))
                {
                    return true;
                }
            }

            stack.RemoveAt(stack.Count - 1);
            state[i] = 2;
            return false;
        }

        for (var i = 0; i < drafts.Count && found is null; i++)
        {
            if (state[i] == 0)
            {
                Visit(i);
            }
        }

        return found;
    }

    private static string Write(string goal, List<Draft> drafts, List<string> criteria, IReadOnlyList<string> workers, IReadOnlyDictionary<string, string[]> commands)
    {
        var used = drafts.Select(d => d.Worker).Distinct().Count();
        var b = new StringBuilder();
        b.AppendLine("# Generated by `fanout plan`. Completion criteria:");
        foreach (var c in criteria)
        {
            b.Append("#   - ").AppendLine(OneLine(c));
        }

        b.Append("name: ").AppendLine(Q(PlanName(goal)));
        b.Append("description: ").AppendLine(Q($"{goal}\n\nCompletion criteria:\n{string.Join("\n", criteria.Select(c => "- " + c))}"));
        b.Append("pools: { agents: ").Append(Math.Max(1, Math.Min(drafts.Count, Math.Max(used, 1) * 2)).ToString(CultureInfo.InvariantCulture)).AppendLine(" }");

        var contracts = drafts.Where(d => d.Contract is not null).ToList();
        if (contracts.Count > 0)
        {
            b.AppendLine("contracts:");
            foreach (var d in contracts)
            {
                var consumers = drafts.Where(x => x.DependsOn.Contains(drafts.IndexOf(d) + 1)).Select(x => x.Id);
                b.Append("  ").Append(d.Contract!.Name).AppendLine(":");
                b.Append("    producer: ").AppendLine(d.Id);
                b.Append("    consumers: [").Append(string.Join(", ", consumers)).AppendLine("]");
                b.AppendLine("    schema:");
                b.AppendLine("      type: object");
                b.Append("      required: [").Append(string.Join(", ", d.Contract.Fields.Select(f => f.Name).Distinct())).AppendLine("]");
                b.AppendLine("      properties:");
                foreach (var f in d.Contract.Fields.DistinctBy(f => f.Name))
                {
                    b.Append("        ").Append(f.Name).Append(": { type: ").Append(f.Type).AppendLine(" }");
                }
            }
        }

        // Presets cover claude, codex and gemini; a --worker-command or another worker name needs a declaration.
        var declared = drafts.Select(d => d.Worker).Distinct()
            .Where(w => commands.ContainsKey(w) || WorkerDefinition.BuiltIn.All(p => p.Name != w)).ToList();
        if (declared.Count > 0)
        {
            b.AppendLine("workers:");
            foreach (var w in declared)
            {
                var command = commands.TryGetValue(w, out var c) ? c : [w];
                b.Append("  ").Append(w).Append(": [").Append(string.Join(", ", command.Select(Q))).AppendLine("]");
            }
        }

        b.AppendLine("tasks:");
        foreach (var d in drafts)
        {
            var needs = d.DependsOn.Select(p => drafts[p - 1].Id).Distinct().ToList();
            b.Append("  - id: ").AppendLine(d.Id);
            b.AppendLine("    kind: agent");
            b.Append("    worker: ").AppendLine(d.Worker);
            b.Append("    description: ").AppendLine(Q($"{d.Worker}: {OneLine(d.Description)}"));
            b.AppendLine("    pool: agents");
            if (needs.Count > 0)
            {
                b.Append("    needs: [").Append(string.Join(", ", needs)).AppendLine("]");
            }

            if (d.Contract is not null)
            {
                b.AppendLine("    output: json");
            }

            b.Append("    prompt: ").AppendLine(Q(TaskPrompt(goal, d, needs)));
        }

        return b.ToString();
    }

    private static string TaskPrompt(string goal, Draft d, List<string> needs)
    {
        var p = new StringBuilder();
        p.Append("You are one worker in a team reaching this goal: ").Append(Escape(goal)).Append("\n\n");
        p.Append("Your task: ").Append(Escape(d.Description)).Append("\n\n");
        p.Append("Expected output: ").Append(Escape(d.ExpectedOutput)).Append('\n');
        if (d.Contract is { } c)
        {
            p.Append("\nPrint your final output as one JSON object with the fields (contract '").Append(c.Name).Append("'): ")
                .Append(string.Join(", ", c.Fields.DistinctBy(f => f.Name).Select(f => $"{f.Name} ({f.Type})"))).Append(". Others build against it.\n");
        }

        foreach (var need in needs)
        {
            p.Append("\nOutput of task '").Append(need).Append("':\n{{tasks.").Append(need).Append(".output}}\n");
        }

        return p.ToString();
    }

    /// <summary>The model's text must not become template syntax: break up braces that would open a template.</summary>
    private static string Escape(string text) => text.Replace("{{", "{ {", StringComparison.Ordinal);

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");

    private static string Q(string s) => JsonSerializer.Serialize(s, Quoting);

    private static string PlanName(string goal)
    {
        var words = new string([.. goal.ToLowerInvariant().Select(ch => char.IsAsciiLetterOrDigit(ch) ? ch : '-')])
            .Split('-', StringSplitOptions.RemoveEmptyEntries).Take(6);
        var name = string.Join("-", words);
        return name.Length == 0 || !char.IsAsciiLetter(name[0]) ? "plan-" + name : name;
    }
}
