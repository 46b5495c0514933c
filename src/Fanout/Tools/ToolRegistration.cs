using System.Collections.Immutable;
using Fanout.Footprints;
using Microsoft.Extensions.AI;

namespace Fanout.Tools;

/// <summary>
/// A tool a <see cref="ToolBatch"/> can call: an <see cref="AIFunction"/> (made with <c>AIFunctionFactory.Create</c>,
/// a process tool from Fanout.Execution, or <see cref="ToolSet.Add(string, Func{AIFunctionArguments, CancellationToken, ValueTask{object}}, Func{AIFunctionArguments, Footprint}, string[])"/>'s
/// delegate), the footprint each call's arguments give it, and how it is run.
/// </summary>
public sealed record ToolRegistration
{
    /// <summary>The function; its <see cref="AITool.Name"/> is the name calls use.</summary>
    public required AIFunction Function { get; init; }

    /// <summary>What a call with these arguments reads and writes. A function that throws fails that call (it does not
    /// run). The default, <see cref="Footprint.Everything"/>, is what any tool without one must be assumed to touch.</summary>
    public Func<AIFunctionArguments, Footprint> Footprint { get; init; } = _ => Footprints.Footprint.Everything;

    /// <summary>Named pools (declared in <see cref="ToolBatchOptions.Pools"/>) a call holds a slot of while it runs,
    /// all taken at once or none.</summary>
    public ImmutableArray<string> Pools { get; init; } = [];

    /// <summary>Per-attempt time limit; null takes <see cref="ToolBatchOptions.Timeout"/>.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Retries; null takes <see cref="ToolBatchOptions.Retry"/>.</summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>Undoes a call that succeeded, given the same arguments; null: the call cannot be undone. A prompt task
    /// with tools runs these, latest-finished call first, when its attempt fails in a plan that rolls back.</summary>
    public AIFunction? Compensate { get; init; }

    /// <summary>The name calls use.</summary>
    public string Name => Function.Name;
}

/// <summary>The tools a batch may call, by name. Immutable: <c>Add</c> returns a new set.</summary>
public sealed class ToolSet
{
    private readonly ImmutableDictionary<string, ToolRegistration> _tools;

    /// <summary>An empty set.</summary>
    public ToolSet()
        : this(ImmutableDictionary<string, ToolRegistration>.Empty.WithComparers(StringComparer.Ordinal))
    {
    }

    private ToolSet(ImmutableDictionary<string, ToolRegistration> tools)
    {
        _tools = tools;
    }

    /// <summary>The registered names.</summary>
    public IEnumerable<string> Names => _tools.Keys;

    /// <summary>A set with <paramref name="tool"/> added (or replacing the one of its name).</summary>
    public ToolSet Add(ToolRegistration tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        return new(_tools.SetItem(tool.Name, tool));
    }

    /// <summary>A set with <paramref name="function"/> added, its footprint computed by <paramref name="footprint"/>.</summary>
    public ToolSet Add(AIFunction function, Func<AIFunctionArguments, Footprint> footprint, params string[] pools) =>
        Add(new ToolRegistration { Function = function, Footprint = footprint, Pools = [.. pools] });

    /// <summary>A set with a C# delegate added as the tool <paramref name="name"/>.</summary>
    public ToolSet Add(string name, Func<AIFunctionArguments, CancellationToken, ValueTask<object?>> run, Func<AIFunctionArguments, Footprint> footprint, params string[] pools) =>
        Add(new DelegateFunction(name, run), footprint, pools);

    /// <summary>The tool called <paramref name="name"/>, or null.</summary>
    public ToolRegistration? Find(string name) => _tools.GetValueOrDefault(name);

    /// <summary>A C# delegate as an <see cref="AIFunction"/> that takes its arguments as they are (no reflection binding;
    /// <c>AIFunctionFactory.Create</c> is the way to bind typed parameters).</summary>
    private sealed class DelegateFunction(string name, Func<AIFunctionArguments, CancellationToken, ValueTask<object?>> run) : AIFunction
    {
        public override string Name => name;

        protected override ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken) =>
            run(arguments, cancellationToken);
    }
}
