using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Fanout.Providers.Simulation;

/// <summary>
/// What the simulated model does with the tools a request declares. A script in the conversation decides when one
/// is there (see <see cref="ScriptMarker"/>); otherwise <c>tool_choice</c> does: a named tool is called, "required"
/// (OpenAI) / "any" (Anthropic) always calls, "auto" calls until the conversation holds a tool result and then
/// answers, "none" never calls. Unscripted calls pick 1–3 distinct tools (one when parallel calls are off), and
/// arguments the script leaves out are sampled from the tool's parameter schema; every choice draws from the
/// request's own seed, so the same conversation gets the same calls.
/// </summary>
internal static class ToolTurns
{
    /// <summary>
    /// Starts a script in any message's text: <c>sim-script:</c> followed, on the same line, by a JSON array with one
    /// entry per assistant turn. An entry is a list of calls (<c>{"tool": name, "arguments": {...}}</c>, or just the
    /// tool's name; left-out arguments are sampled) or a string, the final answer's text. The entry used is the one
    /// at the number of assistant messages already in the conversation; past the end, the model answers (text, or
    /// JSON when a schema is asked for), so the script also says when to stop. A request that declares no tools
    /// takes only text entries from a script.
    /// </summary>
    public const string ScriptMarker = "sim-script:";

    private const int MaxParallel = 3;

    /// <summary>The turn: calls to make, or a fixed answer text, or neither (the model answers as usual).</summary>
    public readonly record struct Turn(IReadOnlyList<(string Name, JsonObject Arguments)>? Calls, string? Text);

    public static Turn Decide(IList<ChatMessage> messages, ChatOptions? options, Random random)
    {
        var tools = (options?.Tools ?? []).OfType<AIFunctionDeclaration>().ToList();
        if (Script(messages) is { } script)
        {
            var index = messages.Count(m => m.Role == ChatRole.Assistant);
            var entry = index < script.Count ? script[index] : (JsonElement?)null;
            // A request without tools cannot call any: agent CLIs send side requests (titles, summaries) that
            // quote the user's prompt, script included, and those are answered as usual unless the entry is text.
            return entry is not { } e || (tools.Count == 0 && e.ValueKind != JsonValueKind.String) ? default : Scripted(e, tools, random);
        }

        if (tools.Count == 0 || options?.ToolMode is NoneChatToolMode)
        {
            return default;
        }

        if (options?.ToolMode is RequiredChatToolMode { RequiredFunctionName: { } name })
        {
            var tool = Find(tools, name) ?? throw new SimulationRejectedException($"tool_choice names '{name}', which is not among the request's tools");
            return new Turn([(tool.Name, Arguments(tool, random))], null);
        }

        var answered = messages.Any(m => m.Contents.OfType<FunctionResultContent>().Any());
        if (options?.ToolMode is not RequiredChatToolMode && answered)
        {
            return default;
        }

        var count = options?.AllowMultipleToolCalls == false ? 1 : random.Next(1, Math.Min(MaxParallel, tools.Count) + 1);
        var chosen = tools.OrderBy(_ => random.Next()).Take(count).ToList();
        return new Turn([.. chosen.Select(t => (t.Name, Arguments(t, random)))], null);
    }

    private static AIFunctionDeclaration? Find(List<AIFunctionDeclaration> tools, string name) =>
        tools.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal));

    private static JsonObject Arguments(AIFunctionDeclaration tool, Random random) =>
        tool.JsonSchema.ValueKind == JsonValueKind.Object && SchemaSampler.Sample(tool.JsonSchema, random) is JsonObject o ? o : [];

    private static Turn Scripted(JsonElement entry, List<AIFunctionDeclaration> tools, Random random)
    {
        if (entry.ValueKind == JsonValueKind.String)
        {
            return new Turn(null, entry.GetString());
        }

        if (entry.ValueKind != JsonValueKind.Array)
        {
            throw Bad("each turn is a list of calls or a string (the final answer)");
        }

        var calls = new List<(string, JsonObject)>();
        foreach (var call in entry.EnumerateArray())
        {
            var name = call.ValueKind == JsonValueKind.String ? call.GetString()
                : call.ValueKind == JsonValueKind.Object && call.TryGetProperty("tool", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()
                : throw Bad("a call is {\"tool\": name, \"arguments\": {...}} or a tool's name");
            var tool = Find(tools, name!) ?? throw Bad($"it calls '{name}', which is not among the request's tools ({string.Join(", ", tools.Select(x => x.Name))})");
            var arguments = call.ValueKind == JsonValueKind.Object && call.TryGetProperty("arguments", out var a)
                ? JsonNode.Parse(a.GetRawText()) as JsonObject ?? throw Bad($"the arguments of '{name}' must be an object")
                : Arguments(tool, random);
            calls.Add((tool.Name, arguments));
        }

        return calls.Count == 0 ? default : new Turn(calls, null);
    }

    /// <summary>The script's turns, from the first message whose text holds the marker.</summary>
    private static List<JsonElement>? Script(IList<ChatMessage> messages)
    {
        foreach (var message in messages)
        {
            var text = message.Text;
            var at = text.IndexOf(ScriptMarker, StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            var rest = text[(at + ScriptMarker.Length)..];
            var end = rest.IndexOf('\n', StringComparison.Ordinal);
            try
            {
                using var document = JsonDocument.Parse(end < 0 ? rest : rest[..end]);
                return document.RootElement.ValueKind == JsonValueKind.Array
                    ? [.. document.RootElement.EnumerateArray().Select(e => e.Clone())]
                    : throw Bad("it must be a JSON array of turns");
            }
            catch (JsonException)
            {
                throw Bad("it is not valid JSON on the marker's line");
            }
        }

        return null;
    }

    private static SimulationRejectedException Bad(string why) => new($"the conversation's {ScriptMarker} script is invalid: {why}");
}
