using System.CommandLine;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout graph PLAN</c>: the plan's DAG as Mermaid or Graphviz DOT, with the estimated critical path marked.</summary>
internal static class GraphCommand
{
    public static Command Create(CliEnvironment env)
    {
        var plan = CommonOptions.Plan();
        var format = new Option<string>("--format", "-f")
        {
            Description = "mermaid (paste into Markdown) or dot (Graphviz: fanout graph plan.yaml -f dot | dot -Tsvg)",
            DefaultValueFactory = _ => "mermaid",
        };
        format.AcceptOnlyFromAmong("mermaid", "dot");
        var command = new Command("graph", "Print the task graph as Mermaid or DOT, with the estimated critical path highlighted") { plan, format };
        command.SetAction(parse => Execute(env, parse.GetRequiredValue(plan), parse.GetValue(format) ?? "mermaid"));
        return command;
    }

    public static int Execute(CliEnvironment env, string path, string format)
    {
        if (PlanStep.Load(env, path) is not { } graph)
        {
            return ExitCodes.Invalid;
        }

        var critical = GraphExport.EstimatedCriticalPath(graph).ToHashSet(StringComparer.Ordinal);
        var text = format == "dot" ? GraphExport.ToDot(graph, critical) : GraphExport.ToMermaid(graph, critical);
        env.Out.Write(text);
        if (!text.EndsWith('\n'))
        {
            env.Out.WriteLine();
        }

        return ExitCodes.Success;
    }
}
