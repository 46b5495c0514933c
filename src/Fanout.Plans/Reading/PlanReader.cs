using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Plans.Yaml;

namespace Fanout.Plans.Reading;

/// <summary>Reads the plan's top level: name, settings, inputs, defaults, providers and pools; tasks go to <see cref="TaskReader"/>.</summary>
internal static partial class PlanReader
{
    private static readonly (string, FailurePolicy)[] FailurePolicies = [("continue", FailurePolicy.Continue), ("fail_fast", FailurePolicy.FailFast), ("rollback", FailurePolicy.Rollback)];

    /// <summary>The plan as far as it could be read; every problem is in the context's diagnostics.</summary>
    public static PlanDefinition Read(Node? root, ReadContext ctx)
    {
        var plan = new PlanDefinition { Name = "", SourceFile = ctx.File, BaseDirectory = ctx.BaseDirectory };
        if (root is null)
        {
            if (ctx.Diagnostics.Count == 0)
            {
                ctx.Diagnostics.Add(new("the plan is empty: it needs at least 'name' and 'tasks'", new SourceLocation(ctx.File, 1, 1)));
            }

            return plan;
        }

        if (root is not MappingNode map)
        {
            ctx.Error($"a plan must be an object (a mapping) with 'name' and 'tasks', got {root.TypeName}", root);
            return plan;
        }

        ctx.CheckFields(map, PlanFields.TopLevel, "",
            key => key is "task" or "steps" or "jobs" ? $"unknown field '{key}' (did you mean 'tasks'?)" : null);
        if (map["name"] is { } name)
        {
            plan = plan with { Name = ctx.String(name, "name") ?? "" };
        }
        else
        {
            ctx.Error("the plan needs a 'name'", map);
        }

        if (map["description"] is { } description)
        {
            plan = plan with { Description = ctx.String(description, "description") };
        }

        if (map["concurrency"] is { } concurrency)
        {
            plan = plan with { Concurrency = ctx.Int(concurrency, "concurrency", 1, max: PlanLimits.MaxConcurrency) };
        }

        if (map["on_failure"] is { } onFailure)
        {
            plan = plan with { OnFailure = ctx.Enum(onFailure, "on_failure", FailurePolicies) ?? FailurePolicy.Continue };
        }

        if (map["budget_usd"] is { } budget && ctx.Number(budget, "budget_usd", 0, (double)PlanLimits.MaxBudgetUsd) is { } usd)
        {
            plan = plan with { BudgetUsd = (decimal)usd };
        }

        if (map["cache"] is { } cache)
        {
            plan = plan with { Cache = ctx.Bool(cache, "cache") };
        }

        if (map["inputs"] is { } inputs && ctx.Mapping(inputs, "inputs") is { } inputMap)
        {
            plan = plan with { Inputs = [.. ReadInputs(inputMap, ctx)] };
            CheckDefaults(plan, ctx);
        }

        if (map["defaults"] is { } defaults && ctx.Mapping(defaults, "defaults") is { } defaultsMap)
        {
            plan = plan with { Defaults = ReadDefaults(defaultsMap, ctx) };
        }

        if (map["providers"] is { } providers && ctx.Mapping(providers, "providers") is { } providerMap)
        {
            plan = plan with { Providers = [.. ReadProviders(providerMap, ctx)] };
        }

        if (map["pools"] is { } pools && ctx.Mapping(pools, "pools") is { } poolMap)
        {
            plan = plan with { Pools = ReadPools(poolMap, ctx) };
        }

        if (map["workers"] is { } workers && ctx.Mapping(workers, "workers") is { } workerMap)
        {
            plan = plan with { Workers = [.. ReadWorkers(workerMap, ctx)] };
        }

        if (map["contracts"] is { } contracts && ctx.Mapping(contracts, "contracts") is { } contractMap)
        {
            plan = plan with { Contracts = [.. ContractReader.Read(contractMap, ctx)] };
        }

        if (map["endpoint"] is { } endpoint && ctx.Mapping(endpoint, "endpoint") is { } endpointMap)
        {
            plan = plan with { Endpoint = EndpointReader.Read(endpointMap, ctx) };
        }

        switch (map["tasks"])
        {
            case null:
                ctx.Error("the plan needs 'tasks': a list of tasks, each with an 'id'", map);
                break;
            case MappingNode tasksMap:
                ctx.Error("'tasks' must be a list (each entry starts with '- id: ...'); the map form 'tasks: {name: {...}}' is not supported", tasksMap);
                break;
            case var tasks when ctx.Sequence(tasks, "tasks") is { } list:
                plan = plan with { Tasks = [.. TaskReader.ReadAll(list, plan.Defaults, ctx)] };
                break;
        }

        EndpointReader.CheckOutput(plan, map["endpoint"], ctx);
        CheckProviderNames(plan, map, ctx);
        return CheckWorkers(plan, ctx);
    }

    /// <summary>A file holding only <c>providers:</c> (what <c>--providers</c> names).</summary>
    public static ImmutableArray<ProviderDefinition> ReadProvidersFile(Node? root, ReadContext ctx)
    {
        if (root is not MappingNode map)
        {
            if (root is not null || ctx.Diagnostics.Count == 0)
            {
                ctx.Diagnostics.Add(new($"a providers file must be an object (a mapping) with 'providers', got {root?.TypeName ?? "nothing"}", root?.Location ?? new SourceLocation(ctx.File, 1, 1)));
            }

            return [];
        }

        ctx.CheckFields(map, ["$schema", "providers"], "");
        if (map["providers"] is not { } providers)
        {
            ctx.Error("a providers file needs 'providers': a mapping of provider names to their settings", map);
            return [];
        }

        return ctx.Mapping(providers, "providers") is { } providerMap ? [.. ReadProviders(providerMap, ctx)] : [];
    }

    private static IEnumerable<InputDefinition> ReadInputs(MappingNode map, ReadContext ctx)
    {
        foreach (var (key, value) in map.Entries)
        {
            var name = key.Value;
            if (!Names.IsValid(name))
            {
                ctx.Error($"invalid input name '{name}': use letters, digits, '_' and '-', starting with a letter or '_'", key);
            }

            var prefix = $"input '{name}': ";
            if (value is not MappingNode schemaMap)
            {
                ctx.Error($"input '{name}' must be an object: a JSON Schema such as {{ type: string, default: ... }}, got {value.TypeName}", value);
                continue;
            }

            var schema = (JsonObject)JsonConversion.ToJson(schemaMap)!;
            JsonElement? defaultValue = null;
            if (schemaMap.Find("default") is { } d)
            {
                defaultValue = Default(d.Value, prefix, ctx);
                schema.Remove("default");
            }

            string? description = null;
            if (schemaMap["description"] is { } desc)
            {
                description = ctx.String(desc, "description", prefix);
            }

            yield return new InputDefinition
            {
                Name = name,
                Schema = JsonSerializer.SerializeToElement(schema),
                Default = defaultValue,
                Description = description,
                Location = key.Location,
            };
        }
    }

    /// <summary>Checks each default against its input's schema now, so <c>fanout validate</c> catches a bad one.</summary>
    private static void CheckDefaults(PlanDefinition plan, ReadContext ctx)
    {
        var withDefaults = plan with { Inputs = [.. plan.Inputs.Where(i => i.Default is not null)] };
        try
        {
            InputResolver.Resolve(withDefaults, new Dictionary<string, JsonElement>());
        }
        catch (PlanException e)
        {
            ctx.Diagnostics.AddRange(e.Diagnostics.Select(d => d with { Message = $"default of {d.Message}" }));
        }
    }

    /// <summary>A default value; <c>"@path"</c> reads a file next to the plan, <c>"@@…"</c> is a literal '@'.</summary>
    private static JsonElement? Default(Node node, string prefix, ReadContext ctx)
    {
        if (node is ScalarNode { Type: ScalarType.String } s && s.Value.StartsWith('@'))
        {
            return s.Value.StartsWith("@@", StringComparison.Ordinal)
                ? JsonSerializer.SerializeToElement(s.Value[1..])
                : ctx.ReadValue(s.Value[1..], node, $"{prefix}default");
        }

        return JsonConversion.ToElement(node);
    }

    private static PlanDefaults ReadDefaults(MappingNode map, ReadContext ctx)
    {
        const string Prefix = "defaults: ";
        ctx.CheckFields(map, PlanFields.Defaults, Prefix);
        var defaults = new PlanDefaults();
        if (map["provider"] is { } provider)
        {
            defaults = defaults with { Provider = ctx.String(provider, "provider", Prefix) };
        }

        if (map["model"] is { } model)
        {
            defaults = defaults with { Model = ctx.String(model, "model", Prefix) };
        }

        if (map["timeout"] is { } timeout)
        {
            defaults = defaults with { Timeout = ctx.Duration(timeout, "timeout", Prefix) };
        }

        if (map["retry"] is { } retry)
        {
            defaults = defaults with { Retry = RetryReader.Read(retry, RetryPolicy.Default, Prefix, ctx) ?? RetryPolicy.Default };
        }

        return defaults;
    }

    private static IEnumerable<ProviderDefinition> ReadProviders(MappingNode map, ReadContext ctx)
    {
        foreach (var (key, value) in map.Entries)
        {
            var prefix = $"provider '{key.Value}': ";
            if (!Names.IsValid(key.Value))
            {
                ctx.Error($"invalid provider name '{key.Value}': use letters, digits, '_' and '-', starting with a letter or '_'", key);
            }

            if (ctx.Mapping(value, key.Value, "providers: ") is not { } entry)
            {
                continue;
            }

            string? type = null;
            if (entry["type"] is { } typeNode)
            {
                type = ctx.String(typeNode, "type", prefix);
            }
            else
            {
                ctx.Error($"{prefix}'type' is required (simulated, openai, anthropic…)", entry);
            }

            RefuseInlineKeys(entry, prefix, ctx);
            var locations = ImmutableDictionary.CreateBuilder<string, SourceLocation>(StringComparer.Ordinal);
            CollectLocations(entry, "", locations);
            yield return new ProviderDefinition
            {
                Name = key.Value,
                Type = type ?? "",
                Config = JsonConversion.ToElement(entry),
                Location = key.Location,
                Locations = locations.ToImmutable(),
            };
        }
    }

    /// <summary>
    /// A key written into the plan would be kept with it (the journal stores the plan's text, reports quote it): every
    /// <c>api_key</c> (the provider's or a pool key's) must be an environment reference, <c>${VAR}</c>, or be given as
    /// <c>api_key_env: VAR</c>.
    /// </summary>
    private static void RefuseInlineKeys(MappingNode provider, string prefix, ReadContext ctx)
    {
        var entries = new List<(string Field, Node Value)>();
        if (provider["api_key"] is { } own)
        {
            entries.Add(("api_key", own));
        }

        if (provider["keys"] is SequenceNode keys)
        {
            entries.AddRange(keys.Items.Select((k, i) => (k, i)).Where(x => x.k is MappingNode { } m && m["api_key"] is not null)
                .Select(x => ($"keys[{x.i}].api_key", ((MappingNode)x.k)["api_key"]!)));
        }

        foreach (var (field, value) in entries)
        {
            if (value is ScalarNode { Value: { Length: > 0 } text } && !KeyReference().IsMatch(text))
            {
                ctx.Error($"{prefix}'{field}' holds a key written into the plan, which would be stored and shown with it: " +
                    "put the key in an environment variable and name it, e.g. api_key_env: OPENAI_API_KEY (or api_key: ${OPENAI_API_KEY})", value);
            }
        }
    }

    /// <summary>Records where every value under <paramref name="node"/> is, keyed by dotted path (<c>models.x.latency</c>, <c>keys[0]</c>).</summary>
    internal static void CollectLocations(Node node, string path, ImmutableDictionary<string, SourceLocation>.Builder into)
    {
        switch (node)
        {
            case MappingNode map:
                foreach (var (key, value) in map.Entries)
                {
                    var child = path.Length == 0 ? key.Value : $"{path}.{key.Value}";
                    into[child] = value.Location;
                    CollectLocations(value, child, into);
                }

                break;
            case SequenceNode seq:
                for (var i = 0; i < seq.Items.Count; i++)
                {
                    var child = $"{path}[{i}]";
                    into[child] = seq.Items[i].Location;
                    CollectLocations(seq.Items[i], child, into);
                }

                break;
        }
    }

    private static ImmutableDictionary<string, int> ReadPools(MappingNode map, ReadContext ctx)
    {
        var pools = ImmutableDictionary.CreateBuilder<string, int>(StringComparer.Ordinal);
        foreach (var (key, value) in map.Entries)
        {
            if (!Names.IsValid(key.Value))
            {
                ctx.Error($"invalid pool name '{key.Value}': use letters, digits, '_' and '-', starting with a letter or '_'", key);
            }

            // An invalid size is reported here, with its location; the pool still exists so tasks using it do not
            // also get "undeclared pool" errors.
            pools[key.Value] = ctx.Int(value, key.Value, 1, "pools: ", PlanLimits.MaxConcurrency) ?? 1;
        }

        return pools.ToImmutable();
    }

    /// <summary>
    /// <c>workers:</c>: by name, a command line the prompt is appended to (<c>[program, args…]</c>), or a map —
    /// <c>{ preset: claude|codex|gemini, program, pool, simulate }</c> (a preset's invocation, run with another program)
    /// or <c>{ command: [program, args…], pool, simulate }</c>.
    /// </summary>
    private static IEnumerable<WorkerDefinition> ReadWorkers(MappingNode map, ReadContext ctx)
    {
        foreach (var (key, value) in map.Entries)
        {
            if (!Names.IsValid(key.Value))
            {
                ctx.Error($"invalid worker name '{key.Value}': use letters, digits, '_' and '-', starting with a letter or '_'", key);
            }

            var prefix = $"workers: '{key.Value}': ";
            if (value is MappingNode entry)
            {
                if (ReadWorker(key, entry, prefix, ctx) is { } worker)
                {
                    yield return worker;
                }

                continue;
            }

            if (ctx.Sequence(value, key.Value, "workers: ") is { } list && Command(key.Value, list, ctx) is { } command)
            {
                yield return new WorkerDefinition(key.Value, command, key.Location);
            }
        }
    }

    private static WorkerDefinition? ReadWorker(ScalarNode key, MappingNode entry, string prefix, ReadContext ctx)
    {
        ctx.CheckFields(entry, PlanFields.Worker, prefix);
        var presets = WorkerDefinition.BuiltIn.Select(w => (w.Name, w.Cli)).ToList();
        var cli = entry["preset"] is { } preset ? ctx.Enum(preset, "preset", presets, prefix) : AgentCli.Command;
        ImmutableArray<string>? command = null;
        if (entry["command"] is { } commandNode)
        {
            if (entry["preset"] is not null || entry["program"] is not null)
            {
                ctx.Error($"{prefix}give either 'command' (any CLI) or 'preset' with an optional 'program', not both", commandNode);
            }

            command = ctx.Sequence(commandNode, "command", prefix) is { } list ? Command(key.Value, list, ctx) : null;
        }
        else if (entry["preset"] is not null)
        {
            var program = entry["program"] is { } programNode ? ctx.String(programNode, "program", prefix) : null;
            command = [program ?? WorkerDefinition.BuiltIn.First(w => w.Cli == cli).Program];
        }
        else
        {
            ctx.Error($"{prefix}needs 'preset' (claude, codex or gemini) or 'command' (the program and its leading arguments)", entry);
        }

        if (command is not { } fixedCommand || cli is not { } known)
        {
            return null;
        }

        return new WorkerDefinition(key.Value, fixedCommand, key.Location)
        {
            Cli = known,
            Pool = entry["pool"] is { } pool ? ctx.String(pool, "pool", prefix) : null,
            Simulate = entry["simulate"] is { } simulate && ctx.Bool(simulate, "simulate", prefix) == true,
        };
    }

    private static ImmutableArray<string>? Command(string name, SequenceNode list, ReadContext ctx)
    {
        var command = list.Items.Select((item, i) => ctx.String(item, $"{name}[{i}]", "workers: ")).OfType<string>().ToImmutableArray();
        if (command.IsEmpty)
        {
            ctx.Error($"workers: '{name}' needs a command: the program and its leading arguments, e.g. [claude, -p]", list);
            return null;
        }

        if (command.Any(c => c.Contains("{{", StringComparison.Ordinal)))
        {
            ctx.Error($"workers: '{name}' is a fixed command line and must not contain templates; the prompt is appended as the last argument", list);
            return null;
        }

        return command;
    }

    /// <summary>Every agent's worker exists and takes its options; a worker's pool becomes a pool its tasks hold.</summary>
    private static PlanDefinition CheckWorkers(PlanDefinition plan, ReadContext ctx)
    {
        var names = plan.Workers.Select(w => w.Name).Concat(WorkerDefinition.BuiltIn.Select(w => w.Name)).Distinct().ToList();
        var tasks = plan.Tasks.ToBuilder();
        for (var i = 0; i < tasks.Count; i++)
        {
            var task = tasks[i];
            var (name, field) = task.Body switch
            {
                AgentBody agent => (agent.Worker, "worker"),
                IntegrateBody { RepairWorker: { } repair } => (repair, "repair_worker"),
                _ => (null, null),
            };
            if (name is null)
            {
                continue;
            }

            if (plan.Worker(name) is not { } worker)
            {
                ctx.Diagnostics.Add(new($"task '{task.Id}' uses unknown worker '{name}'{Names.DidYouMean(name, names)}; known workers: {string.Join(", ", names)} (declare others under 'workers')", task.Locate(field!)));
                continue;
            }

            if (task.Body is AgentBody body && worker.Unsupported(body) is { } unsupported)
            {
                ctx.Diagnostics.Add(new($"task '{task.Id}': {unsupported}", task.Locate("worker")));
            }

            if (task.Body is AgentBody && worker.Pool is { } pool && task.Pool != pool && !task.ExtraPools.Contains(pool))
            {
                tasks[i] = task.Pool is null ? task with { Pool = pool } : task with { ExtraPools = task.ExtraPools.Add(pool) };
            }
        }

        return plan with { Tasks = tasks.ToImmutable() };
    }

    /// <summary>When the plan declares providers, a prompt naming another one is almost surely a typo.</summary>
    private static void CheckProviderNames(PlanDefinition plan, MappingNode map, ReadContext ctx)
    {
        if (plan.Providers.IsEmpty)
        {
            return;
        }

        var names = plan.Providers.Select(p => p.Name).ToList();
        if (plan.Defaults.Provider is { } d && !names.Contains(d))
        {
            var at = (map["defaults"] as MappingNode)?["provider"];
            ctx.Diagnostics.Add(new($"defaults: unknown provider '{d}'{Names.DidYouMean(d, names)}; declared providers: {string.Join(", ", names)}", at?.Location));
        }

        foreach (var task in plan.Tasks)
        {
            var provider = task.Body switch { PromptBody b => b.Provider, ImageBody b => b.Provider, _ => null };
            if (provider is { } p && !names.Contains(p))
            {
                ctx.Diagnostics.Add(new($"task '{task.Id}' uses unknown provider '{p}'{Names.DidYouMean(p, names)}; declared providers: {string.Join(", ", names)}", task.Locate("provider")));
            }
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\s*(\$\{[A-Za-z_][A-Za-z0-9_]*\}\s*)+$")]
    private static partial System.Text.RegularExpressions.Regex KeyReference();
}
