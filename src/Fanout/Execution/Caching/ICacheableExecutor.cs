namespace Fanout;

/// <summary>
/// An executor whose result is a function of what it is given, so it can be reused from the result cache
/// (see <see cref="CachingExecutor"/>).
/// </summary>
public interface ICacheableExecutor
{
    /// <summary>
    /// A hash of everything that determines the attempt's result — kind, provider, model, parameters, the rendered
    /// messages or argv, environment, input files' contents — or null when this attempt cannot be cached (for
    /// instance when rendering fails: the attempt itself will report why).
    /// </summary>
    string? CacheKey(TaskContext context);
}
