using System.Collections.Immutable;
using System.Text.Json;

namespace Fanout.Execution;

/// <summary>
/// A worker that is a real command line: the agent task runs as a process with the prompt appended. When the CLI
/// prints a JSON result as Claude Code does with <c>--output-format json</c> (<c>result</c>, <c>is_error</c>,
/// <c>usage</c>, <c>total_cost_usd</c>; for <c>stream-json</c> the last line), its answer is the task's output and its
/// usage and cost are the task's figures. A failure says which CLI said what, from both of its output streams.
/// </summary>
/// <param name="command">The worker's program and leading arguments.</param>
/// <param name="environment">Fanout's environment, what the CLI may inherit from; null: this process's.</param>
public sealed class CommandWorker(ImmutableArray<string> command, IReadOnlyDictionary<string, string>? environment = null) : IAgentWorker
{
    private readonly ProcessExecutor _processes = new(environment);

    /// <summary>The program and leading arguments.</summary>
    public ImmutableArray<string> Command { get; } = command;

    /// <inheritdoc />
    public async ValueTask<TaskResult> RunAsync(TaskContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = ((AgentBody)context.Task.Body).AsProcess(Command);
        var run = await _processes.RunAsync(body, context.WithBody(body), cancellationToken);
        var result = AgentResult.Find(run.Stdout);
        if (run.ExitCode != 0 || result is { IsError: true })
        {
            var said = result?.Text is { Length: > 0 } text ? ProcessExecutor.Tail(text).Trim() : ProcessExecutor.Tail(run.Stdout).Trim();
            var stderr = ProcessExecutor.Tail(run.Stderr).Trim();
            var what = run.ExitCode != 0 ? $"exited with code {run.ExitCode}" : "reported an error";
            var parts = new[] { said.Length > 0 ? $"stdout: {said}" : null, stderr.Length > 0 ? $"stderr: {stderr}" : null }.OfType<string>();
            throw new TaskFailedException($"'{run.Program}' {what}{(parts.Any() ? " — " + string.Join(" — ", parts) : "")}",
                retryable: true, null, result?.Tokens, result?.CostUsd);
        }

        var answer = result?.Text ?? run.Stdout;
        return new TaskResult
        {
            Output = Output(body.Output, answer, run.Program),
            Tokens = result?.Tokens,
            CostUsd = result?.CostUsd,
            Details = JsonSerializer.SerializeToElement(new { exit_code = run.ExitCode, pid = run.Pid, stderr = ProcessExecutor.Tail(run.Stderr) }),
        };
    }

    private static JsonElement Output(OutputFormat format, string answer, string program)
    {
        if (format == OutputFormat.Text)
        {
            return JsonSerializer.SerializeToElement(answer.TrimEnd('\n', '\r'));
        }

        try
        {
            using var document = JsonDocument.Parse(answer);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            var shown = answer.Trim();
            shown = shown.Length <= 300 ? shown : shown[..300] + "…";
            throw new TaskFailedException($"'{program}' answered with text, not JSON (output: json): {shown}", retryable: true);
        }
    }

    /// <summary>The JSON result an agent CLI printed, when it printed one.</summary>
    private sealed record AgentResult(string? Text, bool IsError, TokenUsage? Tokens, decimal? CostUsd)
    {
        public static AgentResult? Find(string stdout)
        {
            var trimmed = stdout.Trim();
            if (!trimmed.EndsWith('}'))
            {
                return null;
            }

            // --output-format json prints one object; stream-json ends with the result line.
            return Parse(trimmed) ?? Parse(trimmed[(trimmed.LastIndexOf('\n') + 1)..]);
        }

        private static AgentResult? Parse(string text)
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String
                    || type.GetString() != "result")
                {
                    return null;
                }

                var answer = root.TryGetProperty("result", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                var isError = root.TryGetProperty("is_error", out var e) && e.ValueKind == JsonValueKind.True;
                var cost = root.TryGetProperty("total_cost_usd", out var c) && c.ValueKind == JsonValueKind.Number ? c.GetDecimal() : (decimal?)null;
                return new AgentResult(answer, isError, Usage(root), cost);
            }
            catch (Exception e) when (e is JsonException or FormatException or OverflowException)
            {
                return null;
            }
        }

        /// <summary>Anthropic's usage: <c>input_tokens</c> excludes cache reads and writes, which Fanout counts as input.</summary>
        private static TokenUsage? Usage(JsonElement root)
        {
            if (!root.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            long Field(string name) => usage.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n) ? n : 0;
            var cacheRead = Field("cache_read_input_tokens");
            return new TokenUsage(Field("input_tokens") + Field("cache_creation_input_tokens") + cacheRead, Field("output_tokens"), cacheRead);
        }
    }
}
