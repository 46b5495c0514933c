using System.CommandLine;
using Fanout.Providers;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout validate PLAN</c>: checks a plan without running it; one line if it is fine, one per problem if not.</summary>
internal static class ValidateCommand
{
    public static Command Create(CliEnvironment env)
    {
        var plan = CommonOptions.Plan();
        var explain = new Option<bool>("--explain") { Description = "Also print every ordering edge inferred from the tasks' reads/writes footprints, and why it was added" };
        var command = new Command("validate", "Check a plan (syntax, ids, dependencies, cycles, templates, providers) without running it. Exit 0 valid, 2 invalid") { plan, explain };
        command.SetAction(parse => Execute(env, parse.GetRequiredValue(plan), parse.GetValue(explain)));
        return command;
    }

    public static int Execute(CliEnvironment env, string path, bool explain = false)
    {
        if (PlanStep.Load(env, path) is not { } graph)
        {
            return ExitCodes.Invalid;
        }

        var plan = graph.Plan;
        using var providers = PlanStep.CreateProviders(env, plan, new ProviderOptions { Time = env.Time });
        if (providers is null)
        {
            return ExitCodes.Invalid;
        }

        var kinds = plan.Tasks.GroupBy(t => t.Kind).Select(g => $"{g.Count()} {g.Key}");
        env.Out.WriteLine(
            $"OK {path}: plan '{plan.Name}', {Count(plan.Tasks.Length, "task")} ({string.Join(", ", kinds)}), " +
            $"{Count(plan.Inputs.Length, "input")}{List(plan.Inputs.Select(i => i.Name))}, " +
            $"{Count(plan.Providers.Length, "provider")}{List(plan.Providers.Select(p => $"{p.Name}: {p.Type}"))}");
        if (explain)
        {
            Explain(env.Out, graph);
        }

        return ExitCodes.Success;
    }

    /// <summary>One line per inferred edge: the two tasks, why, and where the later one is declared.</summary>
    private static void Explain(TextWriter output, TaskGraph graph)
    {
        var footprinted = graph.Plan.Tasks.Count(t => !t.Footprint.IsEmpty);
        output.WriteLine($"{Count(graph.InferredEdges.Count, "inferred edge")} from the footprints of {Count(footprinted, "task")} (conflicting tasks run in declaration order; the rest may run at once):");
        foreach (var edge in graph.InferredEdges)
        {
            var at = graph[edge.To].Locate("id");
            output.WriteLine($"  {graph[edge.From].Id} → {graph[edge.To].Id}: {edge.Reason}{(at is null ? "" : $" ({at})")}");
        }
    }

    private static string Count(int n, string noun) => $"{n} {noun}{(n == 1 ? "" : "s")}";

    private static string List(IEnumerable<string> names)
    {
        var list = string.Join(", ", names);
        return list.Length == 0 ? "" : $" ({list})";
    }
}
