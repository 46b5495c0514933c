using System.Collections.Concurrent;
using Fanout.Providers.Pools;
using Fanout.Providers.Pricing;
using Fanout.Providers.Simulation;
using Microsoft.Extensions.AI;

namespace Fanout.Providers;

/// <summary>What a run should know about one provider.</summary>
/// <param name="Name">Name tasks use.</param>
/// <param name="Type"><c>openai</c>, <c>anthropic</c> or <c>simulated</c>.</param>
/// <param name="Simulated">Whether calls go to the in-process simulator (type simulated, no key, or simulate-all).</param>
/// <param name="Model">The provider's default model, if any.</param>
/// <param name="Key">Aliases of the keys (comma-separated; by default the variable names), never the keys.</param>
public sealed record ProviderInfo(string Name, string Type, bool Simulated, string? Model, string? Key);

/// <summary>The providers of one run; resolves prompt tasks to chat clients.</summary>
public sealed class ProviderSet : IChatClientResolver, IImageGeneratorResolver, ISimulatedFaults, IDisposable
{
    private readonly Dictionary<string, Provider> _providers;
    private readonly Dictionary<string, IChatClient> _clients;
    private readonly ConcurrentDictionary<(string, string), ChatTarget> _targets = new();

    internal ProviderSet(IReadOnlyList<Provider> providers, IReadOnlyList<string> notices)
    {
        _providers = providers.ToDictionary(p => p.Name, StringComparer.Ordinal);
        _clients = providers.ToDictionary(p => p.Name, p => p.Fallback.Count == 0
            ? p.Client
            : new FallbackChatClient(p.Client, p.Fallback, name => (_providers[name].Client, _providers[name].Model)), StringComparer.Ordinal);
        Providers = [.. providers.Select(p => new ProviderInfo(p.Name, p.Type, p.Simulated, p.Model, p.Key))];
        Notices = notices;
    }

    /// <summary>Things the user should see before the run (e.g. a provider falling back to the simulator).</summary>
    public IReadOnlyList<string> Notices { get; }

    /// <summary>Every configured key value by its alias: what the run's <see cref="Redactor"/> must hide.</summary>
    public IEnumerable<KeyValuePair<string, string>> Secrets => _providers.Values.SelectMany(p => p.Secrets);

    /// <summary>The providers, in plan order.</summary>
    public IReadOnlyList<ProviderInfo> Providers { get; }

    /// <summary>Failures injected by the simulated providers so far, summed by kind.</summary>
    public IReadOnlyDictionary<SimulatedFault, long> InjectedFaults =>
        _providers.Values.Select(p => p.Client).OfType<ISimulatedFaults>().SelectMany(c => c.InjectedFaults)
            .GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Sum(p => p.Value));

    /// <summary>Each key pool's declared limits (real providers only), for <see cref="RunOptions.ProviderLimits"/>.</summary>
    public System.Collections.Immutable.ImmutableArray<ProviderLimits> Limits => [.. _providers.Values.Select(p => p.Pool).OfType<KeyPool>().Select(p => p.Limits)];

    /// <summary>Each key pool's counters and estimator error (real providers only; simulated ones have no keys).</summary>
    public IReadOnlyList<PoolStats> Pools => [.. _providers.Values.Select(p => p.Pool).OfType<KeyPool>().Select(p => p.Stats)];

    /// <summary>The key pool of a real provider, for tests that drive its clock.</summary>
    internal KeyPool? PoolOf(string provider) => _providers.TryGetValue(provider, out var p) ? p.Pool : null;

    /// <inheritdoc />
    public ChatTarget Resolve(string? provider, string? model)
    {
        var entry = Find(provider);
        var name = model ?? entry.Model
            ?? throw new PlanException($"provider '{entry.Name}' has no default model: set model on the task, in defaults, or on the provider");
        return _targets.GetOrAdd((entry.Name, name), key =>
            new ChatTarget(_clients[entry.Name], entry.Name, key.Item2, entry.Pricing.Find(key.Item2), entry.Key)
            {
                // The simulator answers batch prompts as it answers the rest, priced as a batch (what `estimate` shows).
                BatchClient = entry.Batch ?? (entry.Simulated ? entry.Client : null),
            });
    }

    /// <summary>Journals the providers' batches in <paramref name="store"/> as run <paramref name="runId"/>'s: a
    /// resumed run then polls the batches it created instead of sending their prompts again.</summary>
    public void UseBatchJournal(Storage.IRunStore store, string runId)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(runId);
        foreach (var provider in _providers.Values)
        {
            provider.Batch?.Attach(store, runId);
        }
    }

    /// <inheritdoc />
    public ImageTarget ResolveImages(string? provider, string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var entry = Find(provider);
        var generator = entry.Images
            ?? throw new PlanException($"provider '{entry.Name}' ({entry.Type}) cannot generate images: use an openai or simulated provider for image tasks");
        return new ImageTarget(generator, entry.Name, model, entry.Pricing.Find(model), entry.ImagesKey ?? entry.Key);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var provider in _providers.Values)
        {
            provider.Client.Dispose();
            provider.Batch?.Dispose();
        }
    }

    private Provider Find(string? name)
    {
        if (name is not null)
        {
            return _providers.TryGetValue(name, out var named)
                ? named
                : throw new PlanException($"provider '{name}' is not declared{Names.DidYouMean(name, _providers.Keys)}; declared: {string.Join(", ", _providers.Keys)}");
        }

        return _providers.Count == 1
            ? _providers.Values.First()
            : throw new PlanException($"several providers are declared ({string.Join(", ", _providers.Keys)}): set provider on the task or defaults.provider");
    }

    internal sealed record Provider(string Name, string Type, string? Model, IChatClient Client, PricingTable Pricing, string? Key, bool Simulated)
    {
        /// <summary>Image generation, for providers that offer it (OpenAI-compatible and simulated).</summary>
        public IImageGenerator? Images { get; init; }

        /// <summary>Alias of the key image requests use (images are not pooled: the first key), when it differs from <see cref="Key"/>.</summary>
        public string? ImagesKey { get; init; }

        /// <summary>The Batch API client, for real providers.</summary>
        public Batch.BatchQueue? Batch { get; init; }

        /// <summary>The key pool, for real providers.</summary>
        public KeyPool? Pool { get; init; }

        /// <summary>Provider/model pairs tried in turn when this one cannot answer.</summary>
        public IReadOnlyList<FallbackTarget> Fallback { get; init; } = [];

        /// <summary>The key values by alias, for the run's <see cref="Redactor"/> only.</summary>
        public IReadOnlyList<KeyValuePair<string, string>> Secrets { get; init; } = [];
    }
}
