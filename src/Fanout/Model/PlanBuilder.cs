using System.Collections.Immutable;

namespace Fanout;

/// <summary>
/// Builds a <see cref="PlanDefinition"/> in C#. Tasks are plain <see cref="TaskDefinition"/> records, so anything a
/// plan file can say can be said here; <see cref="Task(string, Func{TaskContext, CancellationToken, ValueTask{object}}, string[])"/>
/// is the short form for C# delegates.
/// </summary>
public sealed class PlanBuilder
{
    private readonly List<TaskDefinition> _tasks = [];
    private readonly Dictionary<string, int> _pools = new(StringComparer.Ordinal);
    private PlanDefinition _plan;

    /// <summary>Starts a plan called <paramref name="name"/>.</summary>
    public PlanBuilder(string name)
    {
        _plan = new PlanDefinition { Name = name };
    }

    /// <summary>Adds a task.</summary>
    public PlanBuilder Add(TaskDefinition task)
    {
        _tasks.Add(task);
        return this;
    }

    /// <summary>Adds a C# delegate task that depends on <paramref name="needs"/>.</summary>
    public PlanBuilder Task(string id, Func<TaskContext, CancellationToken, ValueTask<object?>> run, params string[] needs) =>
        Add(new TaskDefinition { Id = id, Body = new DelegateBody(run), Needs = [.. needs] });

    /// <summary>Declares a named concurrency pool.</summary>
    public PlanBuilder Pool(string name, int size)
    {
        _pools[name] = size;
        return this;
    }

    /// <summary>Changes plan-level settings (defaults, failure policy, inputs…).</summary>
    public PlanBuilder Configure(Func<PlanDefinition, PlanDefinition> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        _plan = change(_plan);
        return this;
    }

    /// <summary>The plan.</summary>
    public PlanDefinition Build() => _plan with { Tasks = [.. _tasks], Pools = _pools.ToImmutableDictionary(StringComparer.Ordinal) };
}
