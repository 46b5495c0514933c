using System.Collections.Immutable;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fanout.Plans.Yaml;

namespace Fanout.Plans.Reading;

/// <summary>Reads the kind-specific part of a task: <c>prompt</c>, <c>process</c>, <c>merge</c>, <c>image</c> or <c>agent</c>.</summary>
internal static partial class BodyReader
{
    private static readonly (string, OutputFormat)[] Formats = [("text", OutputFormat.Text), ("json", OutputFormat.Json)];

    private static readonly (string, PromptMode)[] Modes = [("online", PromptMode.Online), ("batch", PromptMode.Batch), ("auto", PromptMode.Auto)];

    /// <summary>Stands in for a body that could not be read, so the rest of the plan is still validated. A plan holding
    /// one is never returned: the problem that caused it is a diagnostic.</summary>
    public static TaskBody Placeholder { get; } = new MergeBody { Value = TaskReader.NullElement };

    public static TaskBody? Read(MappingNode map, string prefix, ImmutableDictionary<string, SourceLocation>.Builder locations, ReadContext ctx)
    {
        var kind = Kind(map, prefix, ctx);
        var fields = PlanFields.Kinds.FirstOrDefault(k => k.Kind == kind).Fields;
        if (fields is not null)
        {
            ctx.CheckFields(map, [.. PlanFields.TaskCommon, .. fields], prefix, key => OtherKindField(key, kind!));
        }
        else
        {
            ctx.CheckFields(map, [.. PlanFields.AllTaskFields], prefix);
        }

        return kind switch
        {
            "prompt" => Prompt(map, prefix, locations, ctx),
            "process" => Process(map, prefix, locations, ctx),
            "merge" => Merge(map, prefix, locations, ctx),
            "agent" => Agent(map, prefix, locations, ctx),
            "image" => Image(map, prefix, locations, ctx),
            "integrate" => Integrate(map, prefix, ctx),
            _ => null,
        };
    }

    /// <summary>The explicit <c>kind</c>, else the one implied by the fields present; null after a diagnostic.</summary>
    private static string? Kind(MappingNode map, string prefix, ReadContext ctx)
    {
        var kinds = PlanFields.Kinds.Select(k => k.Kind).ToList();
        if (map["kind"] is { } kindNode)
        {
            var kind = ctx.String(kindNode, "kind", prefix);
            if (kind is not null && !kinds.Contains(kind))
            {
                ctx.Error($"{prefix}'kind' must be one of: {string.Join(", ", kinds)}; got '{kind}'{Names.DidYouMean(kind, kinds)}", kindNode);
                return null;
            }

            return kind;
        }

        var implied = new List<string>();
        if (map["worker"] is not null)
        {
            // An agent's prompt goes to its worker, so 'prompt' beside 'worker' does not make it a prompt task.
            implied.Add("agent");
        }
        else if (map["prompt"] is not null || map["prompt_file"] is not null)
        {
            implied.Add("prompt");
        }

        if (map["argv"] is not null)
        {
            implied.Add("process");
        }

        if (map["merge"] is not null || map["sections"] is not null)
        {
            implied.Add("merge");
        }

        switch (implied.Count)
        {
            case 1:
                return implied[0];
            case 0:
                ctx.Error($"{prefix}nothing to run: give the task 'prompt' (or 'prompt_file'), 'argv', 'merge' or 'worker'", (Node?)map["id"] ?? map);
                return null;
            default:
                ctx.Error($"{prefix}has fields of several kinds ({string.Join(", ", implied)}); keep one, or set 'kind'", (Node?)map["id"] ?? map);
                return null;
        }
    }

    private static string? OtherKindField(string key, string kind)
    {
        var owners = PlanFields.Kinds.Where(k => k.Kind != kind && k.Fields.Contains(key)).Select(k => k.Kind).ToList();
        return owners.Count == 0 ? null : $"'{key}' is not a field of {kind} tasks ({string.Join(" and ", owners)} tasks use it)";
    }

    private static PromptBody? Prompt(MappingNode map, string prefix, ImmutableDictionary<string, SourceLocation>.Builder locations, ReadContext ctx)
    {
        var prompt = TextOrFile(map, "prompt", prefix, locations, ctx);
        var system = TextOrFile(map, "system", prefix, locations, ctx);
        if (prompt is null)
        {
            if (map["prompt"] is null && map["prompt_file"] is null)
            {
                ctx.Error($"{prefix}a prompt task needs 'prompt' (a template) or 'prompt_file' (a file next to the plan)", (Node?)map["id"] ?? map);
            }

            return null;
        }

        var body = new PromptBody { Prompt = prompt, System = system };
        if (map["provider"] is { } provider)
        {
            body = body with { Provider = ctx.String(provider, "provider", prefix) };
        }

        if (map["model"] is { } model)
        {
            body = body with { Model = ctx.String(model, "model", prefix) };
        }

        if (map["temperature"] is { } temperature)
        {
            body = body with { Temperature = ctx.Number(temperature, "temperature", 0, PlanLimits.MaxTemperature, prefix) };
        }

        if (map["max_tokens"] is { } maxTokens)
        {
            body = body with { MaxTokens = ctx.Int(maxTokens, "max_tokens", 1, prefix, PlanLimits.MaxTokens) };
        }

        if (map["output"] is { } output)
        {
            body = PromptOutput(output, body, prefix, ctx);
        }

        if (map["tools"] is { } tools)
        {
            body = body with { Tools = ToolReader.Read(tools, prefix, ctx) };
        }

        if (map["max_tool_rounds"] is { } rounds)
        {
            body = body with { MaxToolRounds = ctx.Int(rounds, "max_tool_rounds", 1, prefix, PlanLimits.MaxToolRounds) };
        }

        if (map["mode"] is { } mode)
        {
            body = body with { Mode = ctx.Enum(mode, "mode", Modes, prefix) ?? PromptMode.Online };
        }

        if (map["batch_window"] is { } window)
        {
            body = body with { BatchWindow = ctx.Duration(window, "batch_window", prefix) };
        }

        return body;
    }

    /// <summary><c>NAME</c> (a template) or <c>NAME_file</c> (a file read now); both is an error.</summary>
    private static string? TextOrFile(MappingNode map, string name, string prefix, ImmutableDictionary<string, SourceLocation>.Builder locations, ReadContext ctx)
    {
        var fileField = name + "_file";
        var inline = map[name];
        var file = map[fileField];
        if (inline is not null && file is not null)
        {
            ctx.Error($"{prefix}use either '{name}' or '{fileField}', not both", file);
            return null;
        }

        if (inline is not null)
        {
            return ctx.String(inline, name, prefix);
        }

        if (file is null || ctx.String(file, fileField, prefix) is not { } path)
        {
            return null;
        }

        // Template problems in the file's text are reported at the line that names the file.
        locations[name] = file.Location;
        return ctx.ReadText(path, file, $"{prefix}'{fileField}'");
    }

    /// <summary><c>text</c>, <c>json</c>, or <c>{ schema: {...} | "file.json" }</c> (a schema implies JSON).</summary>
    private static PromptBody PromptOutput(Node node, PromptBody body, string prefix, ReadContext ctx)
    {
        if (node is ScalarNode)
        {
            return ctx.Enum(node, "output", Formats, prefix) is { } format ? body with { Output = format } : body;
        }

        if (node is not MappingNode map)
        {
            ctx.Error($"{prefix}'output' must be text, json or {{ schema: ... }}, got {node.TypeName}", node);
            return body;
        }

        ctx.CheckFields(map, ["schema"], prefix + "output: ");
        if (map["schema"] is not { } schemaNode)
        {
            ctx.Error($"{prefix}'output' as an object needs 'schema': an inline JSON Schema or the path of a .json/.yaml file", map);
            return body;
        }

        JsonElement? schema = schemaNode switch
        {
            MappingNode => JsonConversion.ToElement(schemaNode),
            ScalarNode { Type: ScalarType.Boolean } => JsonConversion.ToElement(schemaNode),
            ScalarNode { Type: ScalarType.String } path when FileValues.IsData(path.Value) => ctx.ReadValue(path.Value, path, $"{prefix}'output.schema'"),
            ScalarNode { Type: ScalarType.String } path => Error(ctx, $"{prefix}'output.schema' file must be .json, .yaml or .yml, got '{path.Value}'", path),
            _ => Error(ctx, $"{prefix}'output.schema' must be a JSON Schema object or a file path, got {schemaNode.TypeName}", schemaNode),
        };
        if (schema is { ValueKind: not (JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False) } bad)
        {
            ctx.Error($"{prefix}'output.schema' must be a JSON Schema (an object), got {bad.ValueKind.ToString().ToLowerInvariant()}", schemaNode);
            schema = null;
        }

        return body with { Output = OutputFormat.Json, Schema = schema };
    }

    private static ProcessBody? Process(MappingNode map, string prefix, ImmutableDictionary<string, SourceLocation>.Builder locations, ReadContext ctx)
    {
        var argv = ImmutableArray.CreateBuilder<string>();
        var argvNode = map["argv"];
        if (argvNode is not null && ctx.Sequence(argvNode, "argv", prefix) is { } list)
        {
            for (var i = 0; i < list.Items.Count; i++)
            {
                locations[$"argv[{i}]"] = list.Items[i].Location;
                argv.Add(ctx.Text(list.Items[i], $"argv[{i}]", prefix) ?? "");
            }
        }

        if (argv.Count == 0 && (argvNode is null || argvNode is SequenceNode))
        {
            ctx.Error($"{prefix}a process task needs a non-empty 'argv': the program and its arguments, one per entry", argvNode ?? (Node?)map["id"] ?? map);
        }

        var body = new ProcessBody { Argv = argv.ToImmutable() };
        if (map["shell"] is { } shell)
        {
            body = body with { Shell = ctx.Bool(shell, "shell", prefix) ?? false };
        }

        if (body.ShellScript() is var (script, shellName) && body.Argv[script].Contains("{{", StringComparison.Ordinal))
        {
            var how = body.Shell ? "with 'shell: true', argv[0]" : $"argv[{script}] is run by '{shellName} -c' as shell text: it";
            ctx.Diagnostics.Add(new($"{prefix}{how} is a fixed script and must not contain templates ({{{{...}}}}): " +
                "templated values would become shell code (shell injection). Pass values as further argv entries; the script reads them as $1, $2…",
                locations[$"argv[{script}]"]));
        }

        if (map["stdin"] is { } stdin)
        {
            body = body with { Stdin = ctx.String(stdin, "stdin", prefix) };
        }

        return body with
        {
            Env = Env(map, prefix, locations, ctx),
            InheritEnv = InheritEnv(map, prefix, ctx) ?? InheritedEnvironment.None,
            WorkingDirectory = map["cwd"] is { } cwd ? ctx.String(cwd, "cwd", prefix) : null,
            Output = StdoutFormat(map, "process", prefix, ctx),
        };
    }

    private static AgentBody? Agent(MappingNode map, string prefix, ImmutableDictionary<string, SourceLocation>.Builder locations, ReadContext ctx)
    {
        var worker = map["worker"] is { } w ? ctx.String(w, "worker", prefix) : null;
        var prompt = TextOrFile(map, "prompt", prefix, locations, ctx);
        if (prompt is null && map["prompt"] is null && map["prompt_file"] is null)
        {
            ctx.Error($"{prefix}an agent task needs 'prompt' (a template) or 'prompt_file': what the worker is asked to do", (Node?)map["id"] ?? map);
        }

        if (worker is null && map["worker"] is null)
        {
            ctx.Error($"{prefix}an agent task needs 'worker': claude, codex, gemini or one declared under 'workers'", (Node?)map["id"] ?? map);
        }

        return worker is null || prompt is null ? null : new AgentBody
        {
            Worker = worker,
            Prompt = prompt,
            Env = Env(map, prefix, locations, ctx),
            InheritEnv = InheritEnv(map, prefix, ctx) ?? InheritedEnvironment.Everything,
            WorkingDirectory = map["cwd"] is { } cwd ? ctx.String(cwd, "cwd", prefix) : null,
            Output = StdoutFormat(map, "agent", prefix, ctx),
            Workspace = map["workspace"] is { } workspace ? ctx.Enum(workspace, "workspace", Workspaces, prefix) ?? AgentWorkspace.Shared : AgentWorkspace.Shared,
            AllowedTools = FixedList(map, "allowed_tools", prefix, ctx),
            PermissionMode = map["permission_mode"] is { } mode ? PermissionMode(mode, prefix, ctx) : null,
        };
    }

    private static string? PermissionMode(Node node, string prefix, ReadContext ctx)
    {
        var mode = ctx.String(node, "permission_mode", prefix);
        if (mode is not null && !WorkerDefinition.PermissionModes.Contains(mode))
        {
            var modes = WorkerDefinition.PermissionModes;
            ctx.Error($"{prefix}'permission_mode' must be one of: {string.Join(", ", modes)}; got '{mode}'{Names.DidYouMean(mode, modes)}", node);
            return null;
        }

        return mode;
    }

    private static readonly (string, AgentWorkspace)[] Workspaces = [("shared", AgentWorkspace.Shared), ("worktree", AgentWorkspace.Worktree)];

    private static readonly (string, ConflictPolicy)[] ConflictPolicies = [("fail", ConflictPolicy.Fail), ("repair", ConflictPolicy.Repair)];

    /// <summary>A list of fixed strings (no templates: they become command-line arguments as written).</summary>
    internal static ImmutableArray<string> FixedList(MappingNode map, string field, string prefix, ReadContext ctx)
    {
        if (map[field] is not { } node || ctx.Sequence(node, field, prefix) is not { } list)
        {
            return [];
        }

        var items = list.Items.Select((item, i) => ctx.String(item, $"{field}[{i}]", prefix)).OfType<string>().ToImmutableArray();
        if (items.Any(i => i.Contains("{{", StringComparison.Ordinal)))
        {
            ctx.Error($"{prefix}'{field}' is fixed text and must not contain templates", node);
        }

        return items;
    }

    private static IntegrateBody Integrate(MappingNode map, string prefix, ReadContext ctx)
    {
        var body = new IntegrateBody
        {
            Verify = FixedList(map, "verify", prefix, ctx),
            OnConflict = map["on_conflict"] is { } policy ? ctx.Enum(policy, "on_conflict", ConflictPolicies, prefix) ?? ConflictPolicy.Fail : ConflictPolicy.Fail,
            RepairWorker = map["repair_worker"] is { } worker ? ctx.String(worker, "repair_worker", prefix) : null,
            MaxRepairs = map["max_repairs"] is { } max ? ctx.Int(max, "max_repairs", 1, prefix, 10) ?? 1 : 1,
        };
        if (body.OnConflict == ConflictPolicy.Repair && body.RepairWorker is null)
        {
            ctx.Error($"{prefix}'on_conflict: repair' needs 'repair_worker': the worker that resolves the conflict", map["on_conflict"]!);
        }

        return body;
    }

    private static ImmutableDictionary<string, string> Env(MappingNode map, string prefix, ImmutableDictionary<string, SourceLocation>.Builder locations, ReadContext ctx)
    {
        if (map["env"] is not { } env || ctx.Mapping(env, "env", prefix) is not { } envMap)
        {
            return ImmutableDictionary<string, string>.Empty;
        }

        var vars = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in envMap.Entries)
        {
            if (!EnvName().IsMatch(key.Value))
            {
                ctx.Error($"{prefix}invalid environment variable name '{key.Value}': use letters, digits and '_', not starting with a digit", key);
            }

            locations[$"env.{key.Value}"] = value.Location;
            if (ctx.Text(value, $"env.{key.Value}", prefix) is { } text)
            {
                vars[key.Value] = text;
            }
        }

        return vars.ToImmutable();
    }

    /// <summary><c>inherit_env</c>: <c>true</c> (everything), <c>false</c> (the minimal set) or a list of variable names; null when absent.</summary>
    private static InheritedEnvironment? InheritEnv(MappingNode map, string prefix, ReadContext ctx)
    {
        switch (map["inherit_env"])
        {
            case null:
                return null;
            case ScalarNode { Type: ScalarType.Boolean } flag:
                return ctx.Bool(flag, "inherit_env", prefix) == true ? InheritedEnvironment.Everything : InheritedEnvironment.None;
            case SequenceNode list:
                var names = ImmutableArray.CreateBuilder<string>();
                foreach (var item in list.Items)
                {
                    if (ctx.String(item, "inherit_env", prefix) is not { } name)
                    {
                        continue;
                    }

                    if (!EnvName().IsMatch(name))
                    {
                        ctx.Error($"{prefix}invalid environment variable name '{name}' in 'inherit_env': use letters, digits and '_', not starting with a digit", item);
                    }

                    names.Add(name);
                }

                return new InheritedEnvironment(false, names.ToImmutable());
            case var other:
                ctx.Error($"{prefix}'inherit_env' must be true, false or a list of variable names, got {other.TypeName}", other);
                return null;
        }
    }

    /// <summary>How a process's standard output becomes the task's output: <c>text</c> or <c>json</c>.</summary>
    private static OutputFormat StdoutFormat(MappingNode map, string kind, string prefix, ReadContext ctx)
    {
        switch (map["output"])
        {
            case null:
                return OutputFormat.Text;
            case MappingNode output:
                ctx.Error($"{prefix}a{(kind == "agent" ? "n" : "")} {kind} task's 'output' is text or json ('schema' applies to prompt tasks; use a contract to check its JSON)", output);
                return OutputFormat.Text;
            case var output:
                return ctx.Enum(output, "output", Formats, prefix) ?? OutputFormat.Text;
        }
    }

    private static TaskBody? Merge(MappingNode map, string prefix, ImmutableDictionary<string, SourceLocation>.Builder locations, ReadContext ctx)
    {
        if (map["sections"] is { } sections)
        {
            if (map["merge"] is { } both)
            {
                ctx.Error($"{prefix}give either 'merge' (a mapping) or 'sections' (the built-in SEO merge), not both", both);
                return null;
            }

            return Sections(sections, prefix, locations, ctx);
        }

        if (map["merge"] is not { } value)
        {
            ctx.Error($"{prefix}a merge task needs 'merge': the JSON value to build, whose strings are templates", (Node?)map["id"] ?? map);
            return null;
        }

        PlanReader.CollectLocations(value, "merge", locations);
        return new MergeBody { Value = JsonConversion.ToElement(value) };
    }

    /// <summary>
    /// <c>sections: [head, links, ...]</c> (the task ids are the prompt types) or
    /// <c>sections: { head: seo_head, ... }</c> (prompt type → task id). Order is kept: it orders the notes.
    /// </summary>
    private static SectionsMergeBody? Sections(Node node, string prefix, ImmutableDictionary<string, SourceLocation>.Builder locations, ReadContext ctx)
    {
        var entries = new List<(string? Type, Node TypeAt, string? Task, Node TaskAt)>();
        switch (node)
        {
            case SequenceNode list:
                for (var i = 0; i < list.Items.Count; i++)
                {
                    var id = ctx.String(list.Items[i], $"sections[{i}]", prefix);
                    entries.Add((id, list.Items[i], id, list.Items[i]));
                }

                break;
            case MappingNode mapping:
                foreach (var (key, value) in mapping.Entries)
                {
                    entries.Add((key.Value, key, ctx.String(value, $"sections.{key.Value}", prefix), value));
                }

                break;
            default:
                ctx.Error($"{prefix}'sections' must be a list of task ids named after their prompt types ({string.Join(", ", SectionsMergeBody.Types)}) " +
                    $"or a mapping from prompt type to task id, got {node.TypeName}", node);
                return null;
        }

        var result = ImmutableArray.CreateBuilder<MergeSection>();
        var ok = true;
        foreach (var (type, typeAt, task, taskAt) in entries)
        {
            if (type is null || task is null)
            {
                ok = false;
                continue;
            }

            if (!SectionsMergeBody.Types.Contains(type))
            {
                ctx.Error($"{prefix}'{type}' is not a section type; expected one of: {string.Join(", ", SectionsMergeBody.Types)}{Names.DidYouMean(type, SectionsMergeBody.Types)}", typeAt);
                ok = false;
                continue;
            }

            if (result.Any(s => s.Type == type))
            {
                ctx.Error($"{prefix}section '{type}' is given twice", typeAt);
                ok = false;
                continue;
            }

            locations[$"sections.{type}"] = taskAt.Location;
            result.Add(new MergeSection(type, task));
        }

        if (ok && result.Count == 0)
        {
            ctx.Error($"{prefix}'sections' is empty; list the prompt tasks to merge", node);
            return null;
        }

        return ok ? new SectionsMergeBody { Sections = result.ToImmutable() } : null;
    }

    private static JsonElement? Error(ReadContext ctx, string message, Node at)
    {
        ctx.Error(message, at);
        return null;
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvName();
}
