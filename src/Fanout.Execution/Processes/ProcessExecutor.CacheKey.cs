using Fanout.Storage;

namespace Fanout.Execution;

public sealed partial class ProcessExecutor
{
    /// <summary>
    /// Kind, the rendered argv, stdin, the task's own environment variables and those it inherits by name, working directory and output format,
    /// plus the contents of every argument that names an existing file (relative to the working directory). A file
    /// the process reads without naming it on its command line is not seen: declare such a task <c>pure</c> only when
    /// that does not matter.
    /// </summary>
    public string? CacheKey(TaskContext context)
    {
        var body = (ProcessBody)context.Task.Body;
        System.Diagnostics.ProcessStartInfo start;
        string? stdin;
        try
        {
            start = StartInfo(body, context);
            stdin = body.Stdin is { } template ? context.Render(template) : null;
        }
        catch (Exception e) when (e is TaskFailedException or Templates.TemplateException)
        {
            return null;
        }

        var parts = new List<string?> { Kind, start.FileName, start.WorkingDirectory, body.Output.ToString(), stdin };
        foreach (var argument in start.ArgumentList)
        {
            parts.Add(argument);
            var path = Path.Combine(start.WorkingDirectory, argument);
            parts.Add(argument.Length > 0 && File.Exists(path) ? ContentHash.Of(File.ReadAllBytes(path)) : null);
        }

        // Named inherited variables are inputs too (inherit_env: true is not: the whole environment would make every key unique).
        foreach (var name in body.Env.Keys.Concat(body.InheritEnv.Names).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            parts.Add(name);
            parts.Add(start.Environment.TryGetValue(name, out var value) ? value : null);
        }

        return ContentHash.OfParts(parts);
    }
}
