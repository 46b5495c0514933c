using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fanout;

/// <summary>
/// Seed 000's <c>mergePromptResults</c> plus its <c>v2_metadata</c>, over settled dependencies. Faithful to the seed
/// on purpose, quirks included (the whole head result is merged into <c>head</c>, its confidence and notes too), so a
/// V1 client cannot tell the difference. Deviations: a <c>notes</c> string counts as one note (the seed would spread
/// its characters); fields of the wrong type are ignored instead of throwing; <c>wall_time_ms</c> is added to
/// <c>v2_metadata</c>.
/// </summary>
internal static class SectionsMerge
{
    public static JsonObject Merge(IEnumerable<MergeSection> sections, IReadOnlyDictionary<string, DependencyResult> dependencies)
    {
        var head = new JsonObject();
        var blocks = new JsonArray();
        var links = new JsonArray();
        var alts = new JsonArray();
        JsonNode schema = new JsonObject();
        var notes = new JsonArray();
        var prompts = 0;
        var successes = 0;
        double confidenceSum = 0;
        double processingMs = 0;
        long tokens = 0;
        DateTimeOffset? firstStart = null;
        DateTimeOffset? lastFinish = null;

        foreach (var section in sections)
        {
            if (!dependencies.TryGetValue(section.Task, out var dependency))
            {
                throw new TaskFailedException($"merge: section '{section.Type}' names '{section.Task}', which is not a dependency of this task", retryable: false);
            }

            prompts++;
            processingMs += dependency.DurationMs;
            tokens += dependency.Tokens is { } t ? t.Input + t.Output : 0;
            if (dependency.StartedAt is { } started && (firstStart is null || started < firstStart))
            {
                firstStart = started;
            }

            if (dependency.FinishedAt is { } finished && (lastFinish is null || finished > lastFinish))
            {
                lastFinish = finished;
            }

            if (dependency.State != TaskState.Succeeded)
            {
                notes.Add($"{section.Type} prompt failed: {dependency.Error ?? dependency.State.ToWire()}");
                continue;
            }

            successes++;
            var result = dependency.Output is { ValueKind: JsonValueKind.Object } o ? JsonNode.Parse(o.GetRawText())!.AsObject() : new JsonObject();
            switch (section.Type)
            {
                case "head":
                    foreach (var (key, value) in result)
                    {
                        head[key] = value?.DeepClone();
                    }

                    break;
                case "links":
                    Append(links, result["links"]);
                    break;
                case "content":
                    Append(blocks, result["blocks"]);
                    break;
                case "images":
                    Append(alts, result["alts"]);
                    break;
                case "schema":
                    schema = Truthy(result["schema"]) ? result["schema"]!.DeepClone() : new JsonObject();
                    break;
            }

            switch (result["notes"])
            {
                case JsonArray list:
                    Append(notes, list);
                    break;
                case JsonValue single when Truthy(single):
                    notes.Add(single.DeepClone());
                    break;
            }

            confidenceSum += result["confidence"] is JsonValue c && c.TryGetValue<double>(out var confidence) ? confidence : 0;
        }

        return new JsonObject
        {
            ["head"] = head,
            ["blocks"] = blocks,
            ["links"] = links,
            ["alts"] = alts,
            ["schema"] = schema,
            ["confidence"] = successes > 0 ? confidenceSum / successes : 0,
            ["notes"] = notes,
            ["v2_metadata"] = new JsonObject
            {
                ["prompt_count"] = prompts,
                ["successful_prompts"] = successes,
                ["total_processing_time"] = (long)Math.Round(processingMs),
                ["total_tokens"] = tokens,
                ["wall_time_ms"] = firstStart is { } a && lastFinish is { } b ? (long)Math.Round((b - a).TotalMilliseconds) : 0,
            },
        };
    }

    private static void Append(JsonArray target, JsonNode? source)
    {
        if (source is JsonArray items)
        {
            foreach (var item in items)
            {
                target.Add(item?.DeepClone());
            }
        }
    }

    /// <summary>JavaScript truthiness, for the seed's <c>x || default</c>.</summary>
    private static bool Truthy(JsonNode? node) => node switch
    {
        null => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.False => false,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().Length > 0,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>() is not (0 or double.NaN),
        _ => true,
    };
}
