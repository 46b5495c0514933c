using System.Text.Json;
using Fanout.Providers.Pools;

namespace Fanout.Providers.Config;

/// <summary>One <c>keys:</c> entry as written: the key reference is expanded later, where the environment is known.</summary>
internal sealed record KeyDefinition(string? Alias, string KeyReference, string? BaseUrl, double Weight, KeyLimits Limits);

/// <summary>A remote provider's key pool settings as written in the plan.</summary>
internal sealed record PoolDefinition(IReadOnlyList<KeyDefinition> Keys, Routing Routing, bool Adaptive, IReadOnlyList<FallbackTarget> Fallback);

/// <summary>
/// Reads <c>keys</c>, <c>routing</c>, <c>limits</c>, <c>fallback</c> and the per-key limit fields (<c>concurrency</c>,
/// <c>rpm</c>, <c>tpm</c>, <c>input_tpm</c>, <c>output_tpm</c>, <c>burst</c>; at provider level they are every key's default).
/// A provider with a single <c>api_key</c> is a pool of one.
/// </summary>
internal static class PoolConfig
{
    private static readonly string[] LimitFields = ["concurrency", "rpm", "tpm", "input_tpm", "output_tpm", "burst"];
    public static readonly string[] ProviderFields = ["keys", "routing", "limits", "fallback", .. LimitFields];

    private static readonly string[] KeyFields = ["alias", "api_key", "api_key_env", "base_url", "weight", .. LimitFields];
    private static readonly Dictionary<string, Routing> Routings = new(StringComparer.Ordinal)
    {
        ["least-loaded"] = Routing.LeastLoaded,
        ["round-robin"] = Routing.RoundRobin,
        ["weighted"] = Routing.Weighted,
        ["sticky"] = Routing.Sticky,
    };

    public static PoolDefinition Read(ConfigReader entry, string defaultKeyReference)
    {
        var defaults = Limits(entry, new KeyLimits());
        var keys = new List<KeyDefinition>();
        if (entry.Get("keys") is { } list)
        {
            if (entry.Has("api_key") || entry.Has("api_key_env"))
            {
                entry.Problem($"{entry.Where("api_key")} and {entry.Where("keys")} cannot both be set: put every key under keys");
            }

            if (list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            {
                entry.Problem($"{entry.Where("keys")} must be a non-empty list of {{ alias, api_key, … }}");
            }
            else
            {
                var index = 0;
                foreach (var item in list.EnumerateArray())
                {
                    keys.Add(Key(entry.Item("keys", index++, item), defaults));
                }
            }

            foreach (var twice in keys.GroupBy(k => k.Alias ?? k.KeyReference).Where(g => g.Count() > 1))
            {
                entry.Problem($"{entry.Where("keys")}: alias '{twice.Key}' is used by {twice.Count()} keys; aliases must be unique");
            }
        }
        else
        {
            keys.Add(new KeyDefinition(null, KeyReference(entry) ?? defaultKeyReference, null, 1, defaults));
        }

        var routing = Routing.LeastLoaded;
        if (entry.String("routing") is { } name && !Routings.TryGetValue(name, out routing))
        {
            entry.Problem($"{entry.Where("routing")} must be one of {string.Join(", ", Routings.Keys)}, got '{name}'{Names.DidYouMean(name, Routings.Keys)}");
        }

        var adaptive = false;
        if (entry.String("limits") is { } limits)
        {
            adaptive = limits == "adaptive";
            if (limits is not ("adaptive" or "declared"))
            {
                entry.Problem($"{entry.Where("limits")} must be declared or adaptive, got '{limits}'");
            }
        }

        return new PoolDefinition(keys, routing, adaptive, Fallback(entry));
    }

    /// <summary>The key as a <c>${VAR}</c> reference: <c>api_key</c> as written, or <c>api_key_env: VAR</c>.</summary>
    private static string? KeyReference(ConfigReader entry)
    {
        if (entry.String("api_key_env") is not { } variable)
        {
            return entry.String("api_key");
        }

        if (entry.Has("api_key"))
        {
            entry.Problem($"{entry.Where("api_key")} and {entry.Where("api_key_env")} cannot both be set");
        }

        return $"${{{variable}}}";
    }

    private static KeyDefinition Key(ConfigReader key, KeyLimits defaults)
    {
        key.Allow(KeyFields);
        var reference = KeyReference(key);
        if (reference is null)
        {
            key.Problem($"{key.Where("api_key")} is required, e.g. api_key_env: OPENAI_API_KEY_2 (or api_key: ${{OPENAI_API_KEY_2}})");
        }

        var weight = key.Number("weight") ?? 1;
        if (weight <= 0)
        {
            key.Problem($"{key.Where("weight")} must be greater than 0, got {weight}");
        }

        return new KeyDefinition(key.String("alias"), reference ?? "", key.String("base_url"), weight, Limits(key, defaults));
    }

    private static KeyLimits Limits(ConfigReader reader, KeyLimits defaults)
    {
        var limits = new KeyLimits
        {
            Concurrency = Positive(reader, "concurrency") ?? defaults.Concurrency,
            Rpm = Positive(reader, "rpm") ?? defaults.Rpm,
            Tpm = Positive(reader, "tpm") ?? defaults.Tpm,
            InputTpm = Positive(reader, "input_tpm") ?? defaults.InputTpm,
            OutputTpm = Positive(reader, "output_tpm") ?? defaults.OutputTpm,
            Burst = Burst(reader) ?? defaults.Burst,
        };
        return limits;
    }

    /// <summary><c>burst:</c> how much of each limit may go at once, as a duration of it (default a minute, as providers grant).</summary>
    private static TimeSpan? Burst(ConfigReader reader)
    {
        if (reader.Duration("burst") is not { } burst)
        {
            return null;
        }

        if (burst <= TimeSpan.Zero)
        {
            reader.Problem($"{reader.Where("burst")} must be a duration greater than 0, such as 1s or 1m");
            return null;
        }

        return burst;
    }

    private static int? Positive(ConfigReader reader, string key)
    {
        if (reader.Number(key) is not { } value)
        {
            return null;
        }

        if (value < 1 || value != Math.Floor(value) || value > int.MaxValue)
        {
            reader.Problem($"{reader.Where(key)} must be a whole number of at least 1, got {value}");
            return null;
        }

        return (int)value;
    }

    private static List<FallbackTarget> Fallback(ConfigReader entry)
    {
        var result = new List<FallbackTarget>();
        if (entry.Get("fallback") is not { } list)
        {
            return result;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            entry.Problem($"{entry.Where("fallback")} must be a list of {{ provider, model }}");
            return result;
        }

        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            var step = entry.Item("fallback", index++, item);
            step.Allow("provider", "model");
            if (step.String("provider") is { } provider)
            {
                result.Add(new FallbackTarget(provider, step.String("model")));
            }
            else
            {
                step.Problem($"{step.Where("provider")} is required");
            }
        }

        return result;
    }
}
