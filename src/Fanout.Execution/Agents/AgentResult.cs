using System.Text.Json;

namespace Fanout.Execution;

/// <summary>What an agent CLI reported in its JSON output: the final message, whether it failed, usage, cost, session.</summary>
/// <param name="Text">The final message (or the error's message).</param>
/// <param name="IsError">The CLI reported a failure.</param>
/// <param name="Tokens">Tokens, where the CLI reports them.</param>
/// <param name="CostUsd">Cost, where the CLI reports it (Claude Code does; Codex and Gemini CLI do not).</param>
/// <param name="SessionId">The CLI's session (Codex: thread) id, to resume it by hand.</param>
public sealed record AgentResult(string? Text, bool IsError, TokenUsage? Tokens, decimal? CostUsd, string? SessionId)
{
    /// <summary>
    /// Reads <paramref name="stdout"/> in <paramref name="cli"/>'s format; null when it printed none (a plain command's
    /// prose). Claude Code (and any command printing the same): one <c>{"type":"result", "result", "is_error", "usage",
    /// "total_cost_usd", "session_id"}</c> object, or a <c>stream-json</c> transcript ending with one. Codex
    /// (<c>exec --json</c>): JSONL events — <c>thread.started</c> (thread_id), <c>item.completed</c> items of type
    /// <c>agent_message</c> (the last is the answer), <c>turn.completed</c> usage, <c>turn.failed</c>/<c>error</c>.
    /// Gemini CLI: one <c>{"response", "stats": {"models": {…: {"tokens"}}}, "error", "session_id"}</c> object.
    /// </summary>
    public static AgentResult? Parse(AgentCli cli, string stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        try
        {
            return cli switch
            {
                AgentCli.Codex => Codex(stdout),
                AgentCli.Gemini => Gemini(stdout.Trim()),
                _ => Claude(stdout.Trim()),
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or OverflowException or InvalidOperationException)
        {
            return null;
        }
    }

    private static AgentResult? Claude(string trimmed)
    {
        if (!trimmed.EndsWith('}'))
        {
            return null;
        }

        // --output-format json prints one object; stream-json ends with the result line.
        return ClaudeObject(trimmed) ?? ClaudeObject(trimmed[(trimmed.LastIndexOf('\n') + 1)..]);
    }

    private static AgentResult? ClaudeObject(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || String(root, "type") != "result")
            {
                return null;
            }

            var cost = root.TryGetProperty("total_cost_usd", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetDecimal() : (decimal?)null;
            TokenUsage? tokens = null;
            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                // Anthropic's input_tokens excludes cache reads and writes, which Fanout counts as input.
                var cacheRead = Long(usage, "cache_read_input_tokens");
                tokens = new TokenUsage(Long(usage, "input_tokens") + Long(usage, "cache_creation_input_tokens") + cacheRead, Long(usage, "output_tokens"), cacheRead);
            }

            return new AgentResult(String(root, "result"), root.TryGetProperty("is_error", out var e) && e.ValueKind == JsonValueKind.True,
                tokens, cost, String(root, "session_id"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static AgentResult? Codex(string stdout)
    {
        string? answer = null, thread = null, error = null;
        TokenUsage? tokens = null;
        var events = 0;
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }

            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            events++;
            switch (String(root, "type"))
            {
                case "thread.started":
                    thread = String(root, "thread_id");
                    break;
                case "item.completed" when root.TryGetProperty("item", out var item) && String(item, "type") == "agent_message":
                    answer = String(item, "text");
                    break;
                case "turn.completed" when root.TryGetProperty("usage", out var usage):
                    // OpenAI's input_tokens includes the cached ones.
                    var turn = new TokenUsage(Long(usage, "input_tokens"), Long(usage, "output_tokens"), Long(usage, "cached_input_tokens"));
                    tokens = tokens is { } sum ? sum + turn : turn;
                    break;
                case "turn.failed" when root.TryGetProperty("error", out var failure):
                    error = String(failure, "message");
                    break;
                case "error":
                    error = String(root, "message");
                    break;
            }
        }

        return events == 0 ? null : new AgentResult(error ?? answer, error is not null, tokens, null, thread);
    }

    private static AgentResult? Gemini(string trimmed)
    {
        if (!trimmed.StartsWith('{'))
        {
            return null;
        }

        using var document = JsonDocument.Parse(trimmed);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !(root.TryGetProperty("response", out _) || root.TryGetProperty("error", out _)))
        {
            return null;
        }

        TokenUsage? tokens = null;
        if (root.TryGetProperty("stats", out var stats) && stats.TryGetProperty("models", out var models) && models.ValueKind == JsonValueKind.Object)
        {
            foreach (var model in models.EnumerateObject())
            {
                if (model.Value.TryGetProperty("tokens", out var t))
                {
                    // "prompt" includes the cached part; "candidates" is the answer (thoughts are billed as output too).
                    var used = new TokenUsage(Long(t, "prompt"), Long(t, "candidates") + Long(t, "thoughts"), Long(t, "cached"));
                    tokens = tokens is { } sum ? sum + used : used;
                }
            }
        }

        var error = root.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object ? String(e, "message") ?? e.GetRawText() : null;
        return new AgentResult(error ?? String(root, "response"), error is not null, tokens, null, String(root, "session_id"));
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long Long(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;
}
