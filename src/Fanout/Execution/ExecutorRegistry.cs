namespace Fanout;

/// <summary>Executors by task kind. Immutable: <see cref="With"/> returns a new registry.</summary>
public sealed class ExecutorRegistry
{
    private readonly Dictionary<string, ITaskExecutor> _executors;

    private ExecutorRegistry(Dictionary<string, ITaskExecutor> executors)
    {
        _executors = executors;
    }

    /// <summary>The built-in kinds that touch nothing outside the process: <c>delegate</c> and <c>merge</c>. Kinds that
    /// need the operating system or a provider come from their own packages (Fanout.Execution's <c>ProcessExecutor</c>,
    /// <c>ImageExecutor</c>, <c>CommandWorker</c>; Fanout.Providers' chat clients for <c>PromptExecutor</c>).</summary>
    public static ExecutorRegistry CreateDefault() =>
        new(new Dictionary<string, ITaskExecutor>(StringComparer.Ordinal)
        {
            ["delegate"] = new DelegateExecutor(),
            ["merge"] = new MergeExecutor(),
        });

    /// <summary>A registry with <paramref name="executor"/> added or replacing the one of its kind.</summary>
    public ExecutorRegistry With(ITaskExecutor executor)
    {
        ArgumentNullException.ThrowIfNull(executor);
        return new(new Dictionary<string, ITaskExecutor>(_executors, StringComparer.Ordinal) { [executor.Kind] = executor });
    }

    /// <summary>The kinds registered.</summary>
    public IEnumerable<string> Kinds => _executors.Keys;

    /// <summary>The executor for <paramref name="kind"/>, or null.</summary>
    public ITaskExecutor? TryGet(string kind) => _executors.GetValueOrDefault(kind);

    /// <summary>The executor for <paramref name="kind"/>.</summary>
    public ITaskExecutor Get(string kind) =>
        _executors.TryGetValue(kind, out var executor)
            ? executor
            : throw new InvalidOperationException($"no executor for task kind '{kind}'{Names.DidYouMean(kind, _executors.Keys)}");
}
