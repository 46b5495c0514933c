using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Providers.Config;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Fanout.Simulator;

/// <summary>
/// Reads <c>sim.yaml</c>: <c>keys</c> (alias, key, rpm, tpm | itpm, otpm), <c>models</c> and <c>seed</c> in the
/// format of a provider's <c>simulate:</c> block (read by the providers' own reader), and <c>faults</c>
/// (rate, kinds, script, seed). Every problem is collected, not just the first.
/// </summary>
public static class SimulatorConfig
{
    private static readonly string[] TopFields = ["keys", "faults", "seed", "models", "network_timeout"];
    private static readonly string[] KeyFields = ["alias", "key", "rpm", "tpm", "itpm", "otpm"];
    private static readonly string[] FaultFields = ["rate", "kinds", "script", "seed"];

    /// <summary>Options from YAML <paramref name="text"/>; <paramref name="problems"/> gets one message per mistake (then the options are not usable).</summary>
    public static SimulatorOptions Read(string text, string source, out IReadOnlyList<string> problems)
    {
        var found = new List<PlanDiagnostic>();
        JsonElement root;
        try
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(text));
            root = JsonSerializer.SerializeToElement(yaml.Documents.Count == 0 ? new JsonObject() : ToJson(yaml.Documents[0].RootNode));
        }
        catch (YamlException e)
        {
            problems = [$"{source}:{e.Start.Line}: {e.Message}"];
            return new SimulatorOptions();
        }

        var reader = new ConfigReader(root, source, "", null, found);
        reader.Allow(TopFields);
        var options = new SimulatorOptions { Simulation = SimulationConfig.Read(reader) };
        if (reader.Get("keys") is { } keys)
        {
            options = options with { Keys = ReadKeys(keys, source, reader, found) };
        }

        if (reader.Has("faults"))
        {
            options = options with { Faults = ReadFaults(reader.Child("faults")) };
        }

        problems = [.. found.Select(d => d.Message)];
        return options;
    }

    private static ImmutableArray<SimulatorKey> ReadKeys(JsonElement keys, string source, ConfigReader parent, List<PlanDiagnostic> found)
    {
        if (keys.ValueKind != JsonValueKind.Array)
        {
            parent.Problem($"{parent.Where("keys")} must be a list of {{ alias, key, rpm, tpm }}");
            return [];
        }

        var result = ImmutableArray.CreateBuilder<SimulatorKey>();
        var index = 0;
        foreach (var element in keys.EnumerateArray())
        {
            var entry = new ConfigReader(element, source, $"keys[{index++}]", null, found);
            entry.Allow(KeyFields);
            var alias = entry.String("alias");
            var key = entry.String("key");
            if (string.IsNullOrEmpty(alias) || string.IsNullOrEmpty(key))
            {
                entry.Problem($"{entry.Where("")} needs an alias and a key");
                continue;
            }

            if (entry.Has("tpm") && (entry.Has("itpm") || entry.Has("otpm")))
            {
                entry.Problem($"{entry.Where("")}: give tpm (combined, OpenAI) or itpm/otpm (Anthropic), not both");
            }

            result.Add(new SimulatorKey(alias, key)
            {
                Rpm = Limit(entry, "rpm"),
                Tpm = Limit(entry, "tpm"),
                Itpm = Limit(entry, "itpm"),
                Otpm = Limit(entry, "otpm"),
            });
        }

        if (result.Select(k => k.Key).Distinct(StringComparer.Ordinal).Count() != result.Count)
        {
            parent.Problem($"{parent.Where("keys")}: two entries have the same key");
        }

        return result.ToImmutable();
    }

    private static int? Limit(ConfigReader entry, string field)
    {
        if (entry.Number(field) is not { } value)
        {
            return null;
        }

        if (value < 1 || value != Math.Floor(value) || value > int.MaxValue)
        {
            entry.Problem($"{entry.Where(field)} must be a whole number ≥ 1 per minute, got {value}");
            return null;
        }

        return (int)value;
    }

    private static FaultSettings ReadFaults(ConfigReader faults)
    {
        faults.Allow(FaultFields);
        var settings = new FaultSettings();
        if (faults.Probability("rate") is { } rate)
        {
            settings = settings with { Rate = rate };
        }

        if (faults.Number("seed") is { } seed)
        {
            settings = settings with { Seed = (int)seed };
        }

        if (faults.Get("kinds") is { } kinds)
        {
            settings = settings with { Kinds = [.. Names(faults, "kinds", kinds, allowOk: false).Select(k => k!.Value)] };
        }

        if (faults.Get("script") is { } script)
        {
            settings = settings with { Script = [.. Names(faults, "script", script, allowOk: true)] };
        }

        return settings;
    }

    /// <summary>Fault names of a list; <c>ok</c> (in scripts) is a normal answer.</summary>
    private static IEnumerable<HttpFault?> Names(ConfigReader faults, string field, JsonElement value, bool allowOk)
    {
        var items = value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray()] : new[] { value };
        var allowed = allowOk ? FaultSettings.ByName.Keys.Prepend("ok").ToArray() : [.. FaultSettings.ByName.Keys];
        foreach (var item in items)
        {
            var name = item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText();
            if (allowOk && name == "ok")
            {
                yield return null;
            }
            else if (FaultSettings.ByName.TryGetValue(name, out var kind))
            {
                yield return kind;
            }
            else
            {
                faults.Problem($"unknown fault '{name}' in {faults.Where(field)}{Fanout.Names.DidYouMean(name, allowed)}; expected {string.Join(", ", allowed)}");
            }
        }
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p => KeyValuePair.Create(((YamlScalarNode)p.Key).Value ?? "", ToJson(p.Value)))),
        YamlSequenceNode list => new JsonArray([.. list.Children.Select(ToJson)]),
        // Scalars stay strings: the reader accepts "600" where it expects a number, as YAML writers expect.
        YamlScalarNode { Value: null or "~" or "null" } scalar when scalar.Style == YamlDotNet.Core.ScalarStyle.Plain => null,
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => null,
    };
}
