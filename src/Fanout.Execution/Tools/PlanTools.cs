using System.Text.Json;
using Fanout.Footprints;
using Fanout.Templates;
using Fanout.Tools;
using Microsoft.Extensions.AI;

namespace Fanout.Execution.Tools;

/// <summary>
/// Turns a prompt task's <c>tools:</c> entry into a tool a batch can run: a <see cref="ProcessTool"/> whose argv, and
/// the footprint and compensation, are rendered from the call's arguments (<c>{{args.path}}</c>), each element one
/// argument. Give <see cref="Create"/> to <see cref="PromptExecutor"/> as its tool factory.
/// </summary>
public static class PlanTools
{
    /// <summary>The runnable tool for <paramref name="tool"/>.</summary>
    public static ToolRegistration Create(ToolDefinition tool)
    {
        ArgumentNullException.ThrowIfNull(tool);
        var footprinted = !tool.Reads.IsEmpty || !tool.Writes.IsEmpty;
        return new ToolRegistration
        {
            Function = new ProcessTool(tool.Name, args => Render(tool.Argv, args), tool.Description, tool.BaseDirectory),
            Footprint = args => footprinted
                ? Footprint.Of(Render(tool.Reads, args), Render(tool.Writes, args), tool.BaseDirectory)
                : Footprint.Everything,
            Compensate = tool.Compensate.IsEmpty ? null
                : new ProcessTool(tool.Name + "-undo", args => Render(tool.Compensate, args), $"undoes '{tool.Name}'", tool.BaseDirectory),
            Pools = tool.Pools,
            Timeout = tool.Timeout,
        };
    }

    private static List<string> Render(IEnumerable<string> templates, AIFunctionArguments arguments)
    {
        var scope = new TemplateScope(JsonSerializer.SerializeToElement(new Dictionary<string, object?> { ["args"] = new Dictionary<string, object?>(arguments) }));
        try
        {
            return [.. templates.Select(t => TemplateEngine.Render(t, scope))];
        }
        catch (TemplateException e)
        {
            throw new TaskFailedException(e.Message, retryable: false, e);
        }
    }
}
