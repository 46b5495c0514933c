using System.Collections.Immutable;

namespace Fanout.Providers.Simulation;

/// <summary>How one simulated model behaves. Null fields fall back to the <c>*</c> entry, then to the defaults.</summary>
public sealed record ModelSimulation
{
    /// <summary>Defaults: log-normal latency (median 600 ms, sigma 0.35), 10 ms per output token, 150–600 output tokens.</summary>
    public static ModelSimulation Default { get; } = new()
    {
        Latency = LatencyModel.LogNormal(TimeSpan.FromMilliseconds(600), 0.35),
        PerOutputToken = TimeSpan.FromMilliseconds(10),
        OutputTokens = (150, 600),
    };

    /// <summary>Time to the first token.</summary>
    public LatencyModel? Latency { get; init; }

    /// <summary>Generation time per output token, added to the latency.</summary>
    public TimeSpan? PerOutputToken { get; init; }

    /// <summary>Range of text answer lengths, in tokens.</summary>
    public (int Min, int Max)? OutputTokens { get; init; }

    /// <summary>This entry with its unset fields taken from <paramref name="fallback"/>.</summary>
    public ModelSimulation Over(ModelSimulation fallback)
    {
        ArgumentNullException.ThrowIfNull(fallback);
        return new()
        {
            Latency = Latency ?? fallback.Latency,
            PerOutputToken = PerOutputToken ?? fallback.PerOutputToken,
            OutputTokens = OutputTokens ?? fallback.OutputTokens,
        };
    }
}

/// <summary>Settings of one simulated provider: seed, failure injection and per-model behaviour.</summary>
public sealed record SimulationSettings
{
    /// <summary>The model name that matches every model without an entry of its own.</summary>
    public const string AnyModel = "*";

    /// <summary>Seed of every random choice (content, latency, failures). Default 0.</summary>
    public int Seed { get; init; }

    /// <summary>Probability in [0, 1] that a call fails. Default 0.</summary>
    public double FailureRate { get; init; }

    /// <summary>The kinds of failure drawn from (uniformly) when a call fails. Default: server errors and rate limits.</summary>
    public ImmutableArray<SimulatedFault> Failures { get; init; } = [SimulatedFault.ServerError, SimulatedFault.RateLimit];

    /// <summary>
    /// Deterministic faults, tried before <see cref="FailureRate"/>: a call gets the fault of the first entry that
    /// matches it and has uses left, and uses it up. Empty by default.
    /// </summary>
    public ImmutableArray<ScriptedFault> Script { get; init; } = [];

    /// <summary>Per-model behaviour by model name; <see cref="AnyModel"/> applies to all others.</summary>
    public ImmutableDictionary<string, ModelSimulation> Models { get; init; } = ImmutableDictionary<string, ModelSimulation>.Empty;

    /// <summary>How long a simulated <see cref="SimulatedFault.Timeout"/> hangs before the client gives up, as the OpenAI SDK's default network timeout does. Default 100 s.</summary>
    public TimeSpan NetworkTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Count prompts and JSON answers with each model's tokenizer (<see cref="Tokens.ModelTokenizer"/>) instead of
    /// characters / 4: what <c>fanout estimate</c> predicts a real provider will bill. Text answers count as the
    /// length drawn from <see cref="ModelSimulation.OutputTokens"/> either way: their words are synthetic, so
    /// tokenizing them would say nothing about a real answer. Default false.
    /// </summary>
    public bool UseTokenizer { get; init; }

    /// <summary>The behaviour of <paramref name="model"/>, every field filled.</summary>
    public ModelSimulation For(string? model)
    {
        var any = Models.TryGetValue(AnyModel, out var star) ? star.Over(ModelSimulation.Default) : ModelSimulation.Default;
        return model is not null && Models.TryGetValue(model, out var own) ? own.Over(any) : any;
    }
}

/// <summary>
/// One entry of <see cref="SimulationSettings.Script"/>: the next <paramref name="Times"/> calls whose messages contain
/// <paramref name="Match"/> get <paramref name="Fault"/>. A <see cref="SimulatedFault.MalformedJson"/> entry only
/// matches calls that ask for JSON, a <see cref="SimulatedFault.SchemaViolation"/> entry only calls that send a schema.
/// </summary>
/// <param name="Fault">The fault to inject.</param>
/// <param name="Match">Text one of the call's messages must contain (ordinal); null matches every call.</param>
/// <param name="Times">How many matching calls get the fault (at least 1).</param>
public sealed record ScriptedFault(SimulatedFault Fault, string? Match = null, int Times = 1);
