using Fanout.Storage;

namespace Fanout;

/// <summary>
/// Serves attempts from the result cache when the task allows it (<see cref="CachePolicy"/>) and the executor can
/// name its inputs (<see cref="ICacheableExecutor"/>). A hit returns the stored result, costing nothing; a miss runs
/// the inner executor and tags the result with its key, and the scheduler stores it in the same journal write that
/// records the success — so a result that breaks its contract is never cached.
/// </summary>
public sealed class CachingExecutor(ITaskExecutor inner, IRunStore store) : ITaskExecutor
{
    /// <inheritdoc />
    public string Kind => inner.Kind;

    /// <summary>Wraps every cacheable executor of <paramref name="registry"/>.</summary>
    public static ExecutorRegistry Wrap(ExecutorRegistry registry, IRunStore store)
    {
        ArgumentNullException.ThrowIfNull(registry);
        foreach (var kind in registry.Kinds.ToList())
        {
            var executor = registry.Get(kind);
            if (executor is ICacheableExecutor)
            {
                registry = registry.With(new CachingExecutor(executor, store));
            }
        }

        return registry;
    }

    /// <inheritdoc />
    public async ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!CachePolicy.Allows(context.Task, context.Plan) || inner is not ICacheableExecutor cacheable
            || cacheable.CacheKey(context) is not { } key)
        {
            return await inner.ExecuteAsync(context, cancellationToken);
        }

        if (await store.GetCachedAsync(key, cancellationToken) is { } entry)
        {
            return StoredResult.Deserialize(entry.ResultJson) with
            {
                Tokens = null,
                CostUsd = null,
                CacheHit = true,
                CostSavedUsd = entry.CostUsd,
                CacheKey = key,
            };
        }

        return await inner.ExecuteAsync(context, cancellationToken) with { CacheKey = key };
    }
}
