using System.CommandLine;
using Fanout.Cli.Estimating;
using Fanout.Cli.Output;
using Fanout.Execution;
using Fanout.Providers;
using Fanout.Providers.Tokens;
using Fanout.Time;

namespace Fanout.Cli.Commands;

/// <summary>
/// <c>fanout estimate PLAN</c>: runs the real scheduler in virtual time. Prompts go to the simulator with each
/// provider's latency model, their tokens counted with each model's tokenizer; every other task waits its estimate on
/// the virtual clock. Nothing is started or called,
/// and minutes of predicted work take milliseconds.
/// </summary>
internal static class EstimateCommand
{
    /// <summary>What <c>estimate</c> was asked to do.</summary>
    public sealed record Settings(string Plan, string[] Inputs, int? Concurrency, bool Json);

    public static Command Create(CliEnvironment env)
    {
        var plan = CommonOptions.Plan();
        var inputs = CommonOptions.Inputs();
        var concurrency = CommonOptions.Concurrency();
        var json = CommonOptions.Json("Print the predicted report (run.json format) to stdout; the summary goes to stderr");
        var command = new Command("estimate", "Predict a run's makespan, critical path, tokens and cost by simulating it in virtual time: no process is started, no provider is called")
        {
            plan, inputs, concurrency, json,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(Execute(env, new Settings(
            parse.GetRequiredValue(plan), parse.GetValue(inputs) ?? [], parse.GetValue(concurrency), parse.GetValue(json)), cancellationToken)));
        return command;
    }

    public static int Execute(CliEnvironment env, Settings settings, CancellationToken cancellationToken)
    {
        var human = HumanOutput.For(env, toError: settings.Json);
        if (PlanStep.Load(env, settings.Plan) is not { } graph
            || PlanStep.ResolveInputs(env, graph.Plan, settings.Inputs) is not { } inputs)
        {
            return ExitCodes.Invalid;
        }

        var clock = new VirtualClock(env.Time.GetUtcNow());
        using var providers = PlanStep.CreateProviders(env, graph.Plan, new ProviderOptions { Time = clock, SimulateAll = true });
        if (providers is null)
        {
            return ExitCodes.Invalid;
        }

        foreach (var notice in providers.Notices)
        {
            human.Notice(notice);
        }

        // Simulated images are drawn and saved like real ones; an estimate keeps none of them.
        var scratch = Path.Combine(Path.GetTempPath(), "fanout-estimate-" + Guid.NewGuid().ToString("N")[..8]);
        var options = new RunOptions
        {
            RunId = "estimate",
            Inputs = inputs,
            Concurrency = settings.Concurrency,
            Time = clock,
            Seed = 1,
            Executors = Executors(graph.Plan, providers),
            OutputDirectory = scratch,
        };
        var scheduler = new Scheduler(graph, options);
        RunReport report;
        try
        {
            report = VirtualTime.Run(clock, () => scheduler.RunAsync(cancellationToken));
        }
        finally
        {
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }

        Summary.Write(human.Console, report, estimate: true);
        human.Writer.WriteLine(
            "This is an estimate: prompts and images use each provider's simulated latency model and count tokens with " +
            "each model's tokenizer; other tasks take their `estimate:` or a default per kind (process 10s, merge 1ms, other 1s).");
        var approximated = report.Tasks.Select(t => t.Model).OfType<string>().Distinct(StringComparer.Ordinal).Where(m => !ModelTokenizer.IsExact(m)).Order(StringComparer.Ordinal).ToList();
        if (approximated.Count > 0)
        {
            human.Notice($"no public tokenizer for {string.Join(", ", approximated)}: tokens approximated with {ModelTokenizer.Approximation}");
        }
        var incomplete = report.Tasks.Where(t => t.Parent is null && t.Status != TaskState.Succeeded).ToList();
        if (incomplete.Count > 0)
        {
            human.Notice($"{incomplete.Count} task(s) did not complete in the simulation, so their time is missing from the estimate:");
            foreach (var task in incomplete)
            {
                human.Writer.WriteLine($"  {task.Id}: {task.Status.ToWire()} ({Format.OneLine(task.Error)})");
            }
        }

        if (settings.Json)
        {
            env.Out.WriteLine(report.ToJson());
        }

        return report.Status == RunStatus.Cancelled ? ExitCodes.Cancelled : ExitCodes.Success;
    }

    /// <summary>Prompts and images through the simulator; every other kind replaced by a wait on the virtual clock.</summary>
    private static ExecutorRegistry Executors(PlanDefinition plan, ProviderSet providers)
    {
        var defaults = ExecutorRegistry.CreateDefault();
        var registry = defaults.With(new PromptExecutor(providers)).With(new ImageExecutor(providers));
        foreach (var kind in plan.Tasks.Select(t => t.Kind).Concat(["process", "delegate"]).Distinct().Where(k => k is not ("prompt" or "image")))
        {
            // Merges are pure and in-process: running them keeps real values flowing to fan-outs downstream.
            registry = registry.With(new EstimatedExecutor(kind, kind == "merge" ? defaults.Get("merge") : null));
        }

        return registry;
    }
}
