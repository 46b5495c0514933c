using System.Text.Json;
using Fanout.Templates;

namespace Fanout;

/// <summary>Runs <see cref="MergeBody"/> tasks (evaluates the JSON mapping over the dependencies' results) and the
/// built-in <see cref="SectionsMergeBody"/>.</summary>
internal sealed partial class MergeExecutor : ITaskExecutor, ICacheableExecutor
{
    public string Kind => "merge";

    public ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken)
    {
        if (context.Task.Body is SectionsMergeBody sections)
        {
            var merged = SectionsMerge.Merge(sections.Sections, context.Dependencies);
            return ValueTask.FromResult(TaskResult.FromValue(JsonSerializer.SerializeToElement(merged)));
        }

        var body = (MergeBody)context.Task.Body;
        try
        {
            var node = JsonTemplate.Evaluate(body.Value, context.Scope);
            return ValueTask.FromResult(TaskResult.FromValue(JsonSerializer.SerializeToElement(node)));
        }
        catch (TemplateException e)
        {
            throw new TaskFailedException($"merge: {e.Message}", retryable: false, e);
        }
    }
}
