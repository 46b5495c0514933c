using System.Collections.Immutable;
using System.Text.Json;
using Fanout.Providers.Simulation;

namespace Fanout.Providers.Config;

/// <summary>Reads simulation settings (<c>seed</c>, <c>failure_rate</c>, <c>failures</c>, <c>script</c>, <c>models</c>, <c>network_timeout</c>).
/// Public so that the HTTP simulator's config reads them exactly as a simulated provider does.</summary>
public static class SimulationConfig
{
    /// <summary>The fields simulation settings may hold.</summary>
    public static readonly string[] Fields = ["seed", "failure_rate", "failures", "script", "models", "network_timeout"];

    private static readonly string[] ScriptFields = ["match", "fault", "times"];

    private static readonly string[] ModelFields = ["latency", "per_output_token", "output_tokens"];
    private static readonly string[] LatencyForms = ["fixed", "uniform", "lognormal"];

    /// <summary>The simulation settings in <paramref name="reader"/>'s object; every problem goes to its diagnostics.</summary>
    /// <param name="reader">The object holding the settings.</param>
    public static SimulationSettings Read(ConfigReader reader)
    {
        var settings = new SimulationSettings();
        if (reader.Number("seed") is { } seed)
        {
            if (seed != Math.Floor(seed) || Math.Abs(seed) > int.MaxValue)
            {
                reader.Problem($"{reader.Where("seed")} must be a whole number");
            }
            else
            {
                settings = settings with { Seed = (int)seed };
            }
        }

        if (reader.Probability("failure_rate") is { } rate)
        {
            settings = settings with { FailureRate = rate };
        }

        if (reader.Get("failures") is { } failures)
        {
            settings = settings with { Failures = ReadFailures(reader, failures) };
        }

        if (reader.Get("script") is { } script)
        {
            settings = settings with { Script = ReadScript(reader, script) };
        }

        if (reader.Duration("network_timeout") is { } timeout)
        {
            settings = settings with { NetworkTimeout = timeout };
        }

        if (reader.Has("models"))
        {
            var models = reader.Child("models");
            var result = ImmutableDictionary.CreateBuilder<string, ModelSimulation>(StringComparer.Ordinal);
            foreach (var name in models.Keys)
            {
                result[name] = ReadModel(models.Child(name));
            }

            settings = settings with { Models = result.ToImmutable() };
        }

        return settings;
    }

    private static ImmutableArray<SimulatedFault> ReadFailures(ConfigReader reader, JsonElement value)
    {
        var names = value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray()] : new[] { value };
        var kinds = ImmutableArray.CreateBuilder<SimulatedFault>();
        foreach (var element in names)
        {
            var name = element.ValueKind == JsonValueKind.String ? element.GetString()! : element.GetRawText();
            if (SimulatedFaults.ByName.TryGetValue(name, out var kind))
            {
                kinds.Add(kind);
            }
            else
            {
                reader.Problem($"unknown failure kind '{name}' in {reader.Where("failures")}{Names.DidYouMean(name, SimulatedFaults.ByName.Keys)}; "
                    + $"expected {string.Join(", ", SimulatedFaults.ByName.Keys)}");
            }
        }

        return kinds.ToImmutable();
    }

    /// <summary><c>[{ match: "head", fault: schema_violation, times: 1 }, …]</c>: <c>fault</c> required, the rest optional.</summary>
    private static ImmutableArray<ScriptedFault> ReadScript(ConfigReader reader, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            reader.Problem($"{reader.Where("script")} must be a list of {{ match, fault, times }} entries, got {InputResolver.JsonTypeOf(value)}");
            return [];
        }

        var entries = ImmutableArray.CreateBuilder<ScriptedFault>();
        var index = 0;
        foreach (var element in value.EnumerateArray())
        {
            var entry = reader.Item("script", index++, element);
            if (!entry.IsObject)
            {
                continue; // the reader reported it
            }

            entry.Allow(ScriptFields);
            var name = entry.String("fault");
            SimulatedFault? fault = null;
            if (name is null)
            {
                entry.Problem($"{entry.Where("fault")} is required: one of {string.Join(", ", SimulatedFaults.ByName.Keys)}");
            }
            else if (SimulatedFaults.ByName.TryGetValue(name, out var kind))
            {
                fault = kind;
            }
            else
            {
                entry.Problem($"unknown failure kind '{name}' in {entry.Where("fault")}{Names.DidYouMean(name, SimulatedFaults.ByName.Keys)}; "
                    + $"expected {string.Join(", ", SimulatedFaults.ByName.Keys)}");
            }

            var match = entry.String("match");
            if (match is { Length: 0 })
            {
                entry.Problem($"{entry.Where("match")} must not be empty (leave it out to match every call)");
            }

            var times = entry.Number("times");
            if (times is { } t && (t < 1 || t != Math.Floor(t) || t > int.MaxValue))
            {
                entry.Problem($"{entry.Where("times")} must be a whole number of at least 1, got {t}");
                times = null;
            }

            if (fault is { } f)
            {
                entries.Add(new ScriptedFault(f, match is { Length: > 0 } ? match : null, (int)(times ?? 1)));
            }
        }

        return entries.ToImmutable();
    }

    private static ModelSimulation ReadModel(ConfigReader model)
    {
        model.Allow(ModelFields);
        return new ModelSimulation
        {
            Latency = model.Get("latency") is { } latency ? ReadLatency(model, latency) : null,
            PerOutputToken = model.Duration("per_output_token"),
            OutputTokens = model.Get("output_tokens") is { } tokens ? ReadRange(model, tokens) : null,
        };
    }

    /// <summary><c>800ms</c>, <c>{ fixed: 800ms }</c>, <c>{ uniform: [3s, 5s] }</c> or <c>{ lognormal: { median: 2s, sigma: 0.3 } }</c>.</summary>
    internal static LatencyModel? ReadLatency(ConfigReader model, JsonElement value)
    {
        if (value.ValueKind is JsonValueKind.String or JsonValueKind.Number)
        {
            return model.ToDuration(value, "latency") is { } d ? LatencyModel.Fixed(d) : null;
        }

        var latency = model.Child("latency");
        var forms = latency.Keys.ToList();
        if (value.ValueKind != JsonValueKind.Object || forms.Count != 1)
        {
            model.Problem($"{model.Where("latency")} must be a duration (800ms) or one of {{ fixed: 800ms }}, "
                + "{ uniform: [3s, 5s] }, { lognormal: { median: 2s, sigma: 0.3 } }");
            return null;
        }

        latency.Allow(LatencyForms);
        switch (forms[0])
        {
            case "fixed":
                return latency.Duration("fixed") is { } d ? LatencyModel.Fixed(d) : null;
            case "uniform":
                var bounds = latency.Get("uniform")!.Value;
                if (bounds.ValueKind != JsonValueKind.Array || bounds.GetArrayLength() != 2)
                {
                    latency.Problem($"{latency.Where("uniform")} must be [min, max], for example [3s, 5s]");
                    return null;
                }

                var min = latency.ToDuration(bounds[0], "uniform[0]");
                var max = latency.ToDuration(bounds[1], "uniform[1]");
                if (min is null || max is null)
                {
                    return null;
                }

                if (max < min)
                {
                    latency.Problem($"{latency.Where("uniform")}: max {Durations.Format(max.Value)} is below min {Durations.Format(min.Value)}");
                    return null;
                }

                return LatencyModel.Uniform(min.Value, max.Value);
            case "lognormal":
                var law = latency.Child("lognormal");
                law.Allow("median", "sigma");
                var median = law.Duration("median");
                var sigma = law.Number("sigma");
                if (median is null)
                {
                    law.Problem($"{law.Where("median")} is required, for example median: 2s");
                }

                if (sigma is < 0 or > 5)
                {
                    law.Problem($"{law.Where("sigma")} must be between 0 and 5, got {sigma}");
                    return null;
                }

                return median is { } m ? LatencyModel.LogNormal(m, sigma ?? 0.3) : null;
            default:
                return null;
        }
    }

    private static (int, int)? ReadRange(ConfigReader model, JsonElement value)
    {
        var bounds = value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray()] : new[] { value, value };
        if (bounds.Length != 2)
        {
            model.Problem($"{model.Where("output_tokens")} must be [min, max] or one number");
            return null;
        }

        var min = model.ToNumber(bounds[0], "output_tokens");
        var max = model.ToNumber(bounds[1], "output_tokens");
        if (min is null || max is null)
        {
            return null;
        }

        if (min < 1 || max < min || min != Math.Floor(min.Value) || max != Math.Floor(max.Value))
        {
            model.Problem($"{model.Where("output_tokens")} must be whole numbers with 1 ≤ min ≤ max, got [{min}, {max}]");
            return null;
        }

        return ((int)min, (int)max);
    }
}
