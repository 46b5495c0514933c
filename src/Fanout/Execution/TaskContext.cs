using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Templates;

namespace Fanout;

/// <summary>The settled state of one dependency, as a task sees it.</summary>
/// <param name="Id">Task id.</param>
/// <param name="State">Its final state.</param>
/// <param name="Output">Its output when it succeeded (for a fan-out: the array of item outputs, null for failed items).</param>
/// <param name="Error">Why it failed or was skipped.</param>
/// <param name="Items">For a fan-out: every item with its status, output and error.</param>
public sealed record DependencyResult(string Id, TaskState State, JsonElement? Output, string? Error, JsonElement? Items = null)
{
    /// <summary>When its first attempt started; null if it never ran (skipped, cancelled before starting).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it settled; null if it never ran.</summary>
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Tokens it used over all attempts, for LLM tasks; null when it reported none.</summary>
    public TokenUsage? Tokens { get; init; }

    /// <summary>From start to finish in milliseconds (retries and their back-off included); 0 if it never ran.</summary>
    public double DurationMs => StartedAt is { } s && FinishedAt is { } f ? (f - s).TotalMilliseconds : 0;

    internal JsonNode ToNode()
    {
        var node = new JsonObject
        {
            ["status"] = State.ToWire(),
            ["output"] = Output is { } o ? JsonNode.Parse(o.GetRawText()) : null,
            ["error"] = Error,
        };
        if (Items is { } items)
        {
            node["items"] = JsonNode.Parse(items.GetRawText());
        }

        return node;
    }
}

/// <summary>Everything one attempt of a task may use: its definition, inputs, dependencies' results, item and clock.</summary>
public sealed class TaskContext
{
    private TemplateScope? _scope;

    /// <summary>The context of one attempt; public so that every engine (the in-process scheduler, the distributed
    /// PostgreSQL workers) hands executors the same thing.</summary>
    /// <param name="task">The task's definition.</param>
    /// <param name="instanceId">The instance id: the task id, or <c>id[n]</c> for item n of a fan-out.</param>
    /// <param name="attempt">The attempt number, from 1.</param>
    /// <param name="plan">The plan the task is part of.</param>
    /// <param name="inputs">The run's inputs.</param>
    /// <param name="dependencies">The settled results of the task's dependencies, by task id.</param>
    /// <param name="item">For a fan-out item: its element.</param>
    /// <param name="itemIndex">For a fan-out item: its index.</param>
    /// <param name="previousError">The error of the previous attempt, if this one is a retry.</param>
    /// <param name="time">The run's clock.</param>
    /// <param name="outputDirectory">Where the run writes its files.</param>
    public TaskContext(TaskDefinition task, string instanceId, int attempt, PlanDefinition plan, JsonElement inputs,
        IReadOnlyDictionary<string, DependencyResult> dependencies, JsonElement? item, int? itemIndex,
        string? previousError, TimeProvider time, string outputDirectory)
    {
        Task = task;
        InstanceId = instanceId;
        Attempt = attempt;
        Plan = plan;
        Inputs = inputs;
        Dependencies = dependencies;
        Item = item;
        ItemIndex = itemIndex;
        PreviousError = previousError;
        Time = time;
        OutputDirectory = outputDirectory;
    }

    /// <summary>The task's definition.</summary>
    public TaskDefinition Task { get; }

    /// <summary>The run this attempt belongs to (names what it leaves behind, such as an agent's branch); empty when unknown.</summary>
    public string RunId { get; init; } = "";

    /// <summary>The instance id: the task id, or <c>id[n]</c> for item n of a fan-out.</summary>
    public string InstanceId { get; }

    /// <summary>1-based attempt number.</summary>
    public int Attempt { get; }

    /// <summary>The plan being run.</summary>
    public PlanDefinition Plan { get; }

    /// <summary>The run's resolved inputs.</summary>
    public JsonElement Inputs { get; }

    /// <summary>Each dependency's settled state, by id.</summary>
    public IReadOnlyDictionary<string, DependencyResult> Dependencies { get; }

    /// <summary>The fan-out element, or null.</summary>
    public JsonElement? Item { get; }

    /// <summary>The fan-out index, or null.</summary>
    public int? ItemIndex { get; }

    /// <summary>The previous attempt's error, for repair prompts.</summary>
    public string? PreviousError { get; }

    /// <summary>The run's clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>Directory for files the task produces (artifacts).</summary>
    public string OutputDirectory { get; }

    /// <summary>What templates of this task see.</summary>
    public TemplateScope Scope => _scope ??= TemplateScope.Create(
        Inputs, Dependencies.ToDictionary(d => d.Key, d => (JsonNode?)d.Value.ToNode()), Item, ItemIndex, Task.Foreach?.As);

    /// <summary>The same attempt with its task's body replaced (an <c>agent</c> task run as a process).</summary>
    public TaskContext WithBody(TaskBody body) =>
        new(Task with { Body = body }, InstanceId, Attempt, Plan, Inputs, Dependencies, Item, ItemIndex, PreviousError, Time, OutputDirectory) { RunId = RunId };

    /// <summary>Renders a template of this task in its scope.</summary>
    public string Render(string template) => TemplateEngine.Render(template, Scope);

    /// <summary>The output of dependency <paramref name="id"/> deserialized, or default.</summary>
    public T? OutputOf<T>(string id) =>
        Dependencies.TryGetValue(id, out var d) && d.Output is { } o ? o.Deserialize<T>() : default;
}
