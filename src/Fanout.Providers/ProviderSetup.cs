using System.Text.RegularExpressions;
using Fanout.Providers.Anthropic;
using Fanout.Providers.Batch;
using Fanout.Providers.Config;
using Fanout.Providers.Images;
using Fanout.Providers.OpenAI;
using Fanout.Providers.Pools;
using Fanout.Providers.Pricing;
using Fanout.Providers.Simulation;
using Microsoft.Extensions.AI;

namespace Fanout.Providers;

/// <summary>How providers are built for a run.</summary>
public sealed record ProviderOptions
{
    /// <summary>The run's clock (simulated latency waits on it).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Reads environment variables (for <c>${VAR}</c> key references); swappable in tests.</summary>
    public Func<string, string?> GetEnvironmentVariable { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>The whole environment agent CLIs may inherit (see <c>inherit_env</c>); null: this process's.</summary>
    public IReadOnlyDictionary<string, string>? Variables { get; init; }

    /// <summary>
    /// Serve every provider from the simulator with its latency model and count tokens with each model's tokenizer
    /// (<c>fanout estimate</c>): a prediction of the real run, with no network.
    /// </summary>
    public bool SimulateAll { get; init; }
}

/// <summary>
/// Builds a <see cref="ProviderSet"/> from a plan's <c>providers</c> section. Entry format (YAML):
/// <code>
/// providers:
///   llm:
///     type: openai                  # openai | anthropic | simulated
///     api_key: ${OPENAI_API_KEY}    # the default (anthropic: ${ANTHROPIC_API_KEY}); read from the environment, never printed
///     base_url: https://…           # OpenAI-compatible servers, or an Anthropic gateway
///     model: gpt-4o-mini            # the provider's default model
///     pricing: { gpt-4o-mini: { input: 0.15, output: 0.60, cached_input: 0.075 } }   # $ per 1M tokens
///     simulate: { seed: 1, failure_rate: 0.05, failures: [server_error, rate_limit], models: { "*": { latency: 800ms } } }
///     batch: { window: 2s, poll: 30s }   # mode: batch prompts: how long a batch gathers, how often it is polled
///   sim:
///     type: simulated               # simulation settings at the top level
///     model: gpt-4o-mini
///     seed: 1
///     models: { "*": { latency: { lognormal: { median: 2s, sigma: 0.3 } }, per_output_token: 4ms, output_tokens: [150, 600] } }
/// </code>
/// Simulation settings: <c>seed</c>, <c>failure_rate</c> (0..1), <c>failures</c> (server_error, rate_limit, timeout,
/// malformed_json, bad_request, schema_violation), <c>script</c> (deterministic faults:
/// <c>[{ match: text, fault: kind, times: n }]</c>), <c>network_timeout</c> (how long a simulated timeout hangs, default 100s) and
/// <c>models</c>: per model name (<c>*</c> for the rest) a <c>latency</c> (<c>800ms</c>, <c>{ fixed: d }</c>,
/// <c>{ uniform: [min, max] }</c>, <c>{ lognormal: { median: d, sigma: x } }</c>), <c>per_output_token</c> and
/// <c>output_tokens: [min, max]</c> for text answers. A real provider whose key is not set falls back to the
/// simulator with a notice.
/// </summary>
public static partial class ProviderSetup
{
    /// <summary>The name of the provider used when a plan declares none.</summary>
    public const string BuiltInName = "simulated";

    private static readonly string[] Types = ["openai", "anthropic", "simulated"];
    private static readonly string[] CommonFields = ["type", "model", "pricing"];
    private static readonly string[] RemoteFields = ["api_key", "api_key_env", "base_url", "simulate", "batch"];
    private static readonly string[] BatchFields = ["window", "poll"];

    /// <summary>Builds the providers; throws <see cref="PlanException"/> for invalid provider configuration.</summary>
    public static ProviderSet Create(PlanDefinition plan, ProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        var problems = new List<PlanDiagnostic>();
        var notices = new List<string>();
        var providers = new List<ProviderSet.Provider>();
        foreach (var definition in plan.Providers)
        {
            if (providers.Any(p => p.Name == definition.Name))
            {
                problems.Add(new($"provider '{definition.Name}' is declared twice", definition.Location));
                continue;
            }

            if (Build(definition, options, problems, notices) is { } provider)
            {
                providers.Add(provider);
            }
        }

        if (providers.Count == 0 && plan.Providers.IsEmpty)
        {
            var settings = Metered(new SimulationSettings(), options);
            providers.Add(new ProviderSet.Provider(BuiltInName, "simulated", "gpt-4o-mini",
                new SimulatedChatClient(settings, options.Time), PricingTable.BuiltIn, Key: null, Simulated: true)
            {
                Images = new SimulatedImageGenerator(settings, options.Time),
            });
        }

        if (options.SimulateAll && !plan.Providers.IsEmpty)
        {
            notices.Insert(0, "simulating every provider: no network calls, synthetic output, latency from each provider's simulate settings");
        }

        CheckReferences(plan, providers, problems);
        foreach (var (provider, step) in providers.SelectMany(p => p.Fallback.Select(f => (p, f))).Where(x => providers.All(p => p.Name != x.f.Provider)))
        {
            problems.Add(new($"provider '{provider.Name}': fallback provider '{step.Provider}' is not declared{Names.DidYouMean(step.Provider, providers.Select(p => p.Name))}",
                plan.Providers.First(d => d.Name == provider.Name).Location));
        }

        return problems.Count > 0 ? throw new PlanException(problems) : new ProviderSet(providers, notices);
    }

    private static ProviderSet.Provider? Build(ProviderDefinition definition, ProviderOptions options, List<PlanDiagnostic> problems, List<string> notices)
    {
        var subject = $"provider '{definition.Name}'";
        var entry = new ConfigReader(definition.Config, subject, "", definition.Location, problems);
        if (!Types.Contains(definition.Type, StringComparer.Ordinal))
        {
            entry.Problem($"unknown type '{definition.Type}'{Names.DidYouMean(definition.Type, Types)}; expected {string.Join(", ", Types)}");
            return null;
        }

        var before = problems.Count;
        var simulated = definition.Type == "simulated";
        entry.Allow([.. CommonFields, .. simulated ? SimulationConfig.Fields : [.. RemoteFields, .. PoolConfig.ProviderFields]]);
        var model = entry.String("model");
        var pricing = entry.Has("pricing") ? PricingTable.BuiltIn.With(PricingConfig.Read(entry.Child("pricing"))) : PricingTable.BuiltIn;
        var simulation = SimulationConfig.Read(simulated ? entry : entry.Child("simulate"));
        if (!simulated && entry.Has("simulate"))
        {
            entry.Child("simulate").Allow(SimulationConfig.Fields);
        }

        if (simulated || options.SimulateAll)
        {
            return problems.Count > before ? null : Simulator(definition, model, simulation, pricing, options);
        }

        // A real provider: a pool of its keys (one api_key is a pool of one).
        var pool = PoolConfig.Read(entry, $"${{{DefaultKeyVariable(definition.Type)}}}");
        var providerUrl = Url(entry, "base_url", entry.String("base_url"), options);
        var keys = new List<(string Alias, string Secret, Uri? Endpoint, KeyDefinition Definition)>();
        var missing = new List<string>();
        for (var i = 0; i < pool.Keys.Count; i++)
        {
            var key = pool.Keys[i];
            var endpoint = key.BaseUrl is { } own ? Url(entry, $"keys[{i}].base_url", own, options) : providerUrl;
            var (secret, variables, unset) = ExpandKey(key.KeyReference, options);
            if (secret is null)
            {
                missing.Add(unset!);
                continue;
            }

            if (!key.KeyReference.Contains("${", StringComparison.Ordinal))
            {
                notices.Add($"{subject}: api_key is written in the plan itself; prefer a reference such as ${{{DefaultKeyVariable(definition.Type)}}}");
            }

            keys.Add((key.Alias ?? variables, secret, endpoint, key));
        }

        if (problems.Count > before)
        {
            return null;
        }

        if (keys.Count == 0)
        {
            notices.Add($"{subject} ({definition.Type}): {string.Join(", ", missing)} is not set — using the built-in simulated provider (no network, synthetic output)");
            return Simulator(definition, model, simulation, pricing, options);
        }

        if (missing.Count > 0)
        {
            notices.Add($"{subject}: {string.Join(", ", missing)} not set — running with {keys.Count} of {pool.Keys.Count} keys");
        }

        var anthropic = definition.Type == "anthropic";
        var batchSettings = BatchConfig(entry);
        var poolKeys = keys.Select(k =>
        {
            var sink = new RateHeaderSink();
            var key = new KeyIdentity(k.Alias, k.Secret);
            var client = anthropic
                ? AnthropicKeyClient.Create(key, k.Endpoint, model, sink)
                : OpenAIKeyClient.Create(key, k.Endpoint, model ?? "gpt-4o-mini", sink);
            return new PoolKey(k.Alias, client, sink) { Weight = k.Definition.Weight, Limits = k.Definition.Limits };
        }).ToList();
        var keyPool = new KeyPool(definition.Name, poolKeys, new PoolOptions
        {
            Time = options.Time,
            Routing = pool.Routing,
            Adaptive = pool.Adaptive,
            // What is actually sent when a task sets no max_tokens: Anthropic requires one, OpenAI meters what is produced.
            DefaultOutputEstimate = anthropic ? AnthropicKeyClient.DefaultMaxOutputTokens : new PoolOptions().DefaultOutputEstimate,
        });
        // Batches are not pooled: one queue on the first key gathers every batch prompt of the provider.
        var batchKey = new KeyIdentity(keys[0].Alias, keys[0].Secret);
        IBatchProtocol protocol = anthropic
            ? new AnthropicBatchProtocol(batchKey, keys[0].Endpoint, model)
            : new OpenAIBatchProtocol(batchKey, keys[0].Endpoint, model ?? "gpt-4o-mini");
        return new ProviderSet.Provider(definition.Name, definition.Type, model, keyPool, pricing, string.Join(",", keyPool.Aliases), Simulated: false)
        {
            Batch = new BatchQueue(definition.Name, keys[0].Alias, protocol, batchSettings, options.Time),
            Images = anthropic ? null : new OpenAIImageGenerator(new KeyIdentity(keys[0].Alias, keys[0].Secret), keys[0].Endpoint),
            ImagesKey = keys[0].Alias,
            Pool = keyPool,
            Fallback = pool.Fallback,
            Secrets = [.. keys.Select(k => KeyValuePair.Create(k.Alias, k.Secret))],
        };
    }

    private static BatchSettings BatchConfig(ConfigReader entry)
    {
        if (!entry.Has("batch"))
        {
            return BatchSettings.Default;
        }

        var batch = entry.Child("batch");
        batch.Allow(BatchFields);
        return new BatchSettings(batch.Duration("window") ?? BatchSettings.Default.Window, batch.Duration("poll") ?? BatchSettings.Default.Poll);
    }

    private static Uri? Url(ConfigReader entry, string field, string? text, ProviderOptions options)
    {
        if (text is null)
        {
            return null;
        }

        var expanded = Expand(text, options, out _);
        if (!Uri.TryCreate(expanded, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            entry.Problem($"{entry.Where(field)} must be an http(s) URL");
            return null;
        }

        return url;
    }

    private static ProviderSet.Provider Simulator(ProviderDefinition definition, string? model, SimulationSettings settings, PricingTable pricing, ProviderOptions options)
    {
        settings = Metered(settings, options);
        return new(definition.Name, definition.Type, model ?? (definition.Type == "simulated" ? "gpt-4o-mini" : null),
            new SimulatedChatClient(settings, options.Time, model ?? "gpt-4o-mini"), pricing, Key: null, Simulated: true)
        {
            Images = new SimulatedImageGenerator(settings, options.Time),
        };
    }

    /// <summary>An estimate predicts what real providers bill, so it counts with their tokenizers; a simulated run meters as the simulator does.</summary>
    private static SimulationSettings Metered(SimulationSettings settings, ProviderOptions options) =>
        options.SimulateAll ? settings with { UseTokenizer = true } : settings;

    private static string DefaultKeyVariable(string type) => type == "anthropic" ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY";

    /// <summary>The key with <c>${VAR}</c> expanded; its alias (the variable names, or <c>inline</c>); what is missing when a variable is unset.</summary>
    private static (string? Key, string Alias, string? Missing) ExpandKey(string reference, ProviderOptions options)
    {
        var expanded = Expand(reference, options, out var missing);
        var variables = Reference().Matches(reference).Select(m => m.Groups[1].Value).ToList();
        var alias = variables.Count > 0 ? string.Join("+", variables) : "inline";
        return missing is not null || string.IsNullOrWhiteSpace(expanded)
            ? (null, alias, missing ?? (variables.Count > 0 ? string.Join(", ", variables) : "api_key"))
            : (expanded, alias, null);
    }

    private static string Expand(string text, ProviderOptions options, out string? missing)
    {
        string? firstMissing = null;
        var result = Reference().Replace(text, m =>
        {
            var value = options.GetEnvironmentVariable(m.Groups[1].Value);
            if (string.IsNullOrEmpty(value))
            {
                firstMissing ??= m.Groups[1].Value;
                return "";
            }

            return value;
        });
        missing = firstMissing;
        return result;
    }

    private static void CheckReferences(PlanDefinition plan, List<ProviderSet.Provider> providers, List<PlanDiagnostic> problems)
    {
        var names = providers.Select(p => p.Name).ToList();
        if (plan.Providers.IsEmpty)
        {
            names.Add(BuiltInName);
        }

        if (plan.Defaults.Provider is { } defaultProvider && !names.Contains(defaultProvider) && !plan.Providers.Any(p => p.Name == defaultProvider))
        {
            problems.Add(new($"defaults.provider '{defaultProvider}' is not declared{Names.DidYouMean(defaultProvider, names)}"));
        }

        foreach (var task in plan.Tasks)
        {
            if (task.Body is PromptBody { Provider: { } name } && !names.Contains(name) && !plan.Providers.Any(p => p.Name == name))
            {
                problems.Add(new($"task '{task.Id}': provider '{name}' is not declared{Names.DidYouMean(name, names)}", task.Locate("provider")));
            }
        }
    }

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex Reference();
}
