using System.Text.Json;
using System.Text.Json.Serialization;
using Fanout.Tools;
using Microsoft.Extensions.AI;

namespace Fanout;

// The loop is Fanout's own rather than Microsoft.Extensions.AI's FunctionInvokingChatClient: that client invokes each
// call of a round on its own (at best all at once), so it cannot order a round's calls by their footprints as one
// batch, and when its iteration limit is reached it hands back the unanswered calls as a response instead of failing.
// Here every round is one ToolBatch — parallel where footprints allow, the results those of running the calls in
// order — and going past max_tool_rounds fails the task.
public sealed partial class PromptExecutor
{
    private static readonly JsonElement AnyObject = JsonDocument.Parse("""{"type":"object"}""").RootElement.Clone();

    /// <summary>model → calls → results → model, until an answer with no calls; tokens, cost and rate-limit holds summed
    /// over every request. When an attempt fails in a plan that rolls back, the calls that succeeded and can be undone
    /// are undone, latest-finished first, and the error says what was undone.</summary>
    private async Task<Answer> AnswerWithToolsAsync(PromptBody body, TaskContext context, ChatTarget target,
        List<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        if (tools is null)
        {
            throw new TaskFailedException("the task has tools, but this executor was given no way to run them", retryable: false);
        }

        var set = body.Tools.Aggregate(new ToolSet(), (s, t) => s.Add(tools(t)));
        options.Tools = [.. body.Tools.Select(t => AIFunctionFactory.CreateDeclaration(t.Name, t.Description, t.Parameters ?? AnyObject))];
        options.AllowMultipleToolCalls = true;
        var limit = body.MaxToolRounds ?? ToolDefinition.DefaultMaxRounds;
        var batchOptions = new ToolBatchOptions { Time = context.Time, Pools = context.Plan.Pools };
        var log = new List<ToolCallRecord>();
        var undoable = new List<(ToolCallResult Call, AIFunction Undo, int Order)>();
        TokenUsage? tokens = null;
        decimal? cost = null;
        var held = TimeSpan.Zero;
        try
        {
            for (var round = 0; ; round++)
            {
                var answer = await AnswerAsync(target, messages, options, cancellationToken);
                tokens = Sum(tokens, answer.Tokens);
                cost = Sum(cost, answer.Cost);
                held += answer.Held;
                var calls = answer.Response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
                if (calls.Count == 0)
                {
                    return answer with { Tokens = tokens, Cost = cost, Held = held, Tools = new ToolLog(round, log) };
                }

                if (round == limit)
                {
                    // The same conversation would likely loop again, and a retry would repeat the tools' effects.
                    throw new TaskFailedException($"the model still called tools after {limit} rounds (max_tool_rounds: {limit})", retryable: false);
                }

                messages.AddRange(answer.Response.Messages);
                var batch = await ToolBatch.RunAsync(set, calls, batchOptions, cancellationToken);
                messages.Add(new ChatMessage(ChatRole.Tool, [.. batch.Results.Select(r => (AIContent)r.Result)]));
                foreach (var result in batch.Results)
                {
                    log.Add(ToolCallRecord.From(round + 1, result));
                    if (result.Status == ToolCallStatus.Succeeded && set.Find(result.Call.Name)?.Compensate is { } undo)
                    {
                        undoable.Add((result, undo, undoable.Count));
                    }
                }
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var undone = undoable.Count > 0 && context.Plan.OnFailure == FailurePolicy.Rollback ? await UndoAsync(undoable) : null;
            if (e is TaskFailedException failed)
            {
                throw new TaskFailedException(undone is null ? failed.Message : $"{failed.Message}; {undone}", failed.Retryable, failed.InnerException,
                    Sum(tokens, failed.Tokens), Sum(cost, failed.CostUsd));
            }

            throw;
        }
    }

    /// <summary>Runs the compensations latest-finished call first (of calls that finished at once, the later one first)
    /// and says what it did.</summary>
    private static async Task<string> UndoAsync(List<(ToolCallResult Call, AIFunction Undo, int Order)> undoable)
    {
        var parts = new List<string>();
        foreach (var (call, undo, _) in undoable.OrderByDescending(u => u.Call.FinishedAt).ThenByDescending(u => u.Order))
        {
            try
            {
                // The attempt may have failed by being cancelled; its effects must be undone all the same.
                await undo.InvokeAsync(new AIFunctionArguments(call.Call.Arguments ?? new Dictionary<string, object?>()), CancellationToken.None);
                parts.Add($"{call.Call.Name} ({call.Call.CallId})");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                parts.Add($"{call.Call.Name} ({call.Call.CallId}) could not be undone: {e.Message}");
            }
        }

        return "undone, latest first: " + string.Join(", ", parts);
    }

    private static TokenUsage? Sum(TokenUsage? a, TokenUsage? b) => a is { } x ? (b is { } y ? x + y : x) : b;

    private static decimal? Sum(decimal? a, decimal? b) => a is { } x ? (b is { } y ? x + y : x) : b;

    /// <summary>What the report shows of a task's tool calls.</summary>
    /// <param name="Rounds">Rounds of tool calls the model made.</param>
    /// <param name="Calls">Every call, in order.</param>
    private sealed record ToolLog(int Rounds, List<ToolCallRecord> Calls);

    /// <summary>One call as the report shows it: no arguments (they are the model's, and may quote anything) and no
    /// result, only its size.</summary>
    private sealed record ToolCallRecord(
        [property: JsonPropertyName("round")] int Round,
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("call_id")] string CallId,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("duration_ms")] double DurationMs,
        [property: JsonPropertyName("error")] string? Error,
        [property: JsonPropertyName("result_chars")] int ResultChars)
    {
        public static ToolCallRecord From(int round, ToolCallResult result) => new(
            round, result.Call.Name, result.Call.CallId, JsonNamingPolicy.SnakeCaseLower.ConvertName(result.Status.ToString()), result.Duration.TotalMilliseconds, result.Error,
            result.Result.Result?.ToString()?.Length ?? 0);
    }
}
