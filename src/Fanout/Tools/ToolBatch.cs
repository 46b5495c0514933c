using System.Collections.Immutable;
using Fanout.Footprints;
using Microsoft.Extensions.AI;

namespace Fanout.Tools;

/// <summary>
/// Runs a batch of tool calls as a model returns them (OpenAI <c>parallel_tool_calls</c>, Anthropic's several
/// <c>tool_use</c> blocks) in parallel wherever their footprints allow, with the same results as running them one by
/// one in call order. The batch is compiled into a plan — one task per call, footprints from each call's arguments,
/// the tools' pools, timeouts and retries — and run by the one <see cref="Scheduler"/>, so conflicting calls are
/// ordered by the same inferred edges as plan tasks and every timing comes from <see cref="ToolBatchOptions.Time"/>.
/// </summary>
public static class ToolBatch
{
    /// <summary>Runs <paramref name="calls"/> with <paramref name="tools"/>; one result per call, in call order.
    /// Failures (unknown tools, exceptions, timeouts) are results, not exceptions.</summary>
    public static async Task<ToolBatchResult> RunAsync(ToolSet tools, IReadOnlyList<FunctionCallContent> calls,
        ToolBatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(calls);
        options ??= new ToolBatchOptions();
        var slots = new Slot[calls.Count];
        var tasks = new TaskDefinition[calls.Count];
        for (var i = 0; i < calls.Count; i++)
        {
            (tasks[i], slots[i]) = Task(i, calls[i], tools.Find(calls[i].Name), options);
        }

        var plan = new PlanDefinition
        {
            Name = "tool-batch",
            Tasks = [.. tasks],
            Pools = options.Pools,
            Defaults = new PlanDefaults { Retry = options.Retry, Timeout = options.Timeout },
        };
        var run = new RunOptions
        {
            Time = options.Time,
            Seed = options.Seed,
            Concurrency = options.Sequential ? 1 : options.Concurrency ?? Math.Max(1, calls.Count),
            // The batch's order is the calls' order: with no dependencies between them, earlier calls go first.
            Estimator = task => TimeSpan.FromMilliseconds(calls.Count - int.Parse(task.Id.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture)),
        };
        var report = await new Scheduler(TaskGraph.Compile(plan), run).RunAsync(cancellationToken);
        var rows = report.Tasks.ToDictionary(t => t.Id, StringComparer.Ordinal);
        var results = ImmutableArray.CreateBuilder<ToolCallResult>(calls.Count);
        for (var i = 0; i < calls.Count; i++)
        {
            results.Add(Result(calls[i], rows[tasks[i].Id], slots[i]));
        }

        return new ToolBatchResult
        {
            Results = results.MoveToImmutable(),
            Report = report,
            Metrics = new ToolBatchMetrics
            {
                Calls = calls.Count,
                MakespanMs = report.MakespanMs,
                SequentialMs = report.SequentialMs,
                Speedup = report.Speedup,
                Pools = report.PoolUtilisation,
                HeldBack = report.InferredEdges,
            },
        };
    }

    /// <summary>The task that runs call <paramref name="index"/>, and the slot its raw result lands in.</summary>
    private static (TaskDefinition, Slot) Task(int index, FunctionCallContent call, ToolRegistration? tool, ToolBatchOptions options)
    {
        var slot = new Slot();
        var arguments = new AIFunctionArguments(call.Arguments ?? new Dictionary<string, object?>());
        string? problem = null;
        if (tool is null)
        {
            problem = $"unknown tool '{call.Name}'";
        }
        else
        {
            try
            {
                slot.Footprint = tool.Footprint(arguments);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                problem = $"cannot tell what '{call.Name}' touches from its arguments: {e.Message}";
            }
        }

        var body = new DelegateBody(async (_, cancellationToken) =>
        {
            if (problem is not null)
            {
                // It never runs, so it touches nothing and needs no place in the order.
                throw new TaskFailedException(problem, retryable: false);
            }

            try
            {
                slot.Value = await tool!.Function.InvokeAsync(arguments, cancellationToken);
                slot.Exception = null;
                return null;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                slot.Exception = e;
                throw;
            }
        });
        var task = new TaskDefinition
        {
            Id = $"call{index}",
            Description = $"{call.Name} ({call.CallId})",
            Body = body,
            Footprint = problem is null ? slot.Footprint : Footprint.None,
            Pool = tool?.Pools.FirstOrDefault(),
            ExtraPools = tool is null ? [] : [.. tool.Pools.Skip(1)],
            Timeout = tool?.Timeout,
            Retry = tool?.Retry,
        };
        return (task, slot);
    }

    private static ToolCallResult Result(FunctionCallContent call, TaskReport row, Slot slot)
    {
        var status = row.Status switch
        {
            TaskState.Succeeded => ToolCallStatus.Succeeded,
            TaskState.Cancelled or TaskState.Skipped => ToolCallStatus.Cancelled,
            _ when row.AttemptLog.LastOrDefault()?.Outcome == AttemptOutcome.TimedOut => ToolCallStatus.TimedOut,
            _ => ToolCallStatus.Failed,
        };
        var result = status == ToolCallStatus.Succeeded
            ? new FunctionResultContent(call.CallId, slot.Value)
            : new FunctionResultContent(call.CallId, $"error: {row.Error}") { Exception = slot.Exception };
        return new ToolCallResult
        {
            Call = call,
            Result = result,
            Status = status,
            Error = status == ToolCallStatus.Succeeded ? null : row.Error,
            Attempts = row.Attempts,
            Duration = TimeSpan.FromMilliseconds(row.DurationMs),
            StartedAt = row.StartedAt,
            FinishedAt = row.FinishedAt,
            Footprint = slot.Footprint,
        };
    }

    /// <summary>Where a call's raw result (not its JSON) and last exception are kept for the model.</summary>
    private sealed class Slot
    {
        public object? Value { get; set; }

        public Exception? Exception { get; set; }

        public Footprint Footprint { get; set; } = Footprint.None;
    }
}
