using System.CommandLine;
using System.Text.Json;
using Fanout.Cli.Planning;
using Fanout.Plans;
using Fanout.Providers;
using Microsoft.Extensions.AI;

namespace Fanout.Cli.Commands;

/// <summary>
/// <c>fanout plan "GOAL"</c>: an orchestrator model decomposes a goal into worker tasks (claude, codex, gemini…) and the
/// answer becomes a validated Fanout plan of agent tasks. A rejected answer goes back to the model with the reasons
/// (bounded by <c>--repairs</c>). docs/planner.md.
/// </summary>
internal static class PlanCommand
{
    public static Command Create(CliEnvironment env)
    {
        var goal = new Argument<string>("GOAL") { Description = "What the team of agents should achieve" };
        var workers = new Option<string>("--workers") { Description = "Comma-separated worker CLIs the plan may use", DefaultValueFactory = _ => "claude,codex,gemini", HelpName = "LIST" };
        var output = new Option<string?>("--output", "-o") { Description = "Write the plan here (default: stdout)", HelpName = "FILE" };
        var provider = new Option<string?>("--provider") { Description = "The provider that plans (default: the built-in simulated one, or the config's first)", HelpName = "NAME" };
        var model = new Option<string?>("--model") { Description = "The model that plans (default: the provider's)", HelpName = "M" };
        var config = new Option<string?>("--config") { Description = "A YAML file with a providers: map, as in a plan", HelpName = "FILE" };
        var answer = new Option<string?>("--answer") { Description = "Convert this saved JSON answer instead of asking a model", HelpName = "FILE" };
        var workerCommands = new Option<string[]>("--worker-command")
        {
            Description = "Run a worker with another command: WORKER=PROGRAM [ARGS…] (the prompt is appended). Repeatable",
            HelpName = "W=CMD",
            Arity = ArgumentArity.ZeroOrMore,
            DefaultValueFactory = _ => [],
        };
        var repairs = new Option<int>("--repairs") { Description = "How many times a rejected answer goes back to the model with the reasons", DefaultValueFactory = _ => 2, HelpName = "N" }.Between(0, 100);
        var command = new Command("plan", "Ask an orchestrator model to split GOAL into worker tasks and write them as a validated plan. Exit 0 written, 2 rejected")
        {
            goal, workers, output, provider, model, config, answer, workerCommands, repairs,
        };
        command.SetAction((parse, token) => ExecuteAsync(env, new Request(
            parse.GetRequiredValue(goal),
            [.. parse.GetRequiredValue(workers).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
            parse.GetValue(output), parse.GetValue(provider), parse.GetValue(model), parse.GetValue(config), parse.GetValue(answer),
            parse.GetRequiredValue(workerCommands), Math.Max(0, parse.GetValue(repairs))), token));
        return command;
    }

    internal sealed record Request(string Goal, string[] Workers, string? Output, string? Provider, string? Model, string? Config, string? Answer, string[] WorkerCommands, int Repairs = 2);

    public static async Task<int> ExecuteAsync(CliEnvironment env, Request request, CancellationToken cancellationToken)
    {
        if (request.Workers.Length == 0)
        {
            env.Error.WriteLine("error: --workers lists no worker");
            return ExitCodes.Invalid;
        }

        var commands = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var entry in request.WorkerCommands)
        {
            var eq = entry.IndexOf('=', StringComparison.Ordinal);
            var argv = eq > 0 ? entry[(eq + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
            if (argv.Length == 0)
            {
                env.Error.WriteLine($"error: --worker-command '{entry}' is not WORKER=PROGRAM [ARGS…]");
                return ExitCodes.Invalid;
            }

            commands[entry[..eq]] = argv;
        }

        string? yaml;
        List<string> reasons;
        if (request.Answer is { } answerPath)
        {
            string text;
            try
            {
                text = InputFile.ReadText(env.FullPath(answerPath));
            }
            catch (InputFileException e)
            {
                env.Error.WriteLine($"{answerPath}: error: cannot read the answer: {e.Message}");
                return ExitCodes.Invalid;
            }

            yaml = PlanConverter.Convert(request.Goal, text, request.Workers, commands, out reasons);
        }
        else if (Orchestrator(env, request) is not { } orchestrator)
        {
            return ExitCodes.Invalid;
        }
        else
        {
            using (orchestrator.Providers)
            {
                (yaml, reasons) = await PlanWithRepairsAsync(env, request, orchestrator, commands, cancellationToken);
            }
        }

        if (yaml is null)
        {
            foreach (var reason in reasons)
            {
                env.Error.WriteLine($"rejected: {reason}");
            }

            return ExitCodes.Invalid;
        }

        if (request.Output is { } path)
        {
            await File.WriteAllTextAsync(env.FullPath(path), yaml, cancellationToken);
            env.Error.WriteLine($"wrote {path}");
        }
        else
        {
            await env.Out.WriteAsync(yaml);
        }

        return ExitCodes.Success;
    }

    private sealed record OrchestratorTarget(ProviderSet Providers, ChatTarget Target);

    /// <summary>Asks, converts, and sends a rejected answer back with its reasons, at most <c>--repairs</c> times. A
    /// failed call ends it with the call's error as the reason.</summary>
    private static async Task<(string? Yaml, List<string> Reasons)> PlanWithRepairsAsync(CliEnvironment env, Request request,
        OrchestratorTarget orchestrator, Dictionary<string, string[]> commands, CancellationToken cancellationToken)
    {
        var (target, options) = (orchestrator.Target, new ChatOptions
        {
            ModelId = orchestrator.Target.Model,
            ResponseFormat = ChatResponseFormat.ForJsonSchema(PlannerSchema.Build(request.Workers), "fanout_plan", "Worker tasks for a goal"),
        });
        List<ChatMessage> messages = [new(ChatRole.System, PlannerPrompt.System(request.Workers)), new(ChatRole.User, PlannerPrompt.User(request.Goal))];
        for (var attempt = 0; ; attempt++)
        {
            string text;
            try
            {
                text = (await target.Client.GetResponseAsync(messages, options, cancellationToken)).Text;
            }
            catch (Exception e) when (e is not OperationCanceledException && e is not OutOfMemoryException)
            {
                return (null, [$"the orchestrator ({target.Provider}/{target.Model}) failed: {e.Message}"]);
            }

            var yaml = PlanConverter.Convert(request.Goal, text, request.Workers, commands, out var reasons);
            if (yaml is not null || attempt >= request.Repairs)
            {
                return (yaml, reasons);
            }

            env.Error.WriteLine($"notice: the orchestrator's plan was rejected ({string.Join("; ", reasons)}); asking it to repair the plan ({attempt + 1} of {request.Repairs})");
            messages.Add(new(ChatRole.Assistant, text));
            messages.Add(new(ChatRole.User, PlannerPrompt.Repair(reasons)));
        }
    }

    /// <summary>The provider that plans, or null after printing why there is none.</summary>
    private static OrchestratorTarget? Orchestrator(CliEnvironment env, Request request)
    {
        PlanDefinition plan;
        try
        {
            // The config is a file of providers, as --providers reads; a placeholder task makes a plan of them.
            plan = PlanLoader.Parse("name: planner\ntasks:\n  - id: planner\n    argv: [\"true\"]\n", "<planner>");
            if (request.Config is { } configPath)
            {
                plan = plan with { Providers = PlanLoader.LoadProviders(env.LoaderPath(configPath)) };
            }
        }
        catch (PlanException e)
        {
            PlanStep.WriteDiagnostics(env.Error, e);
            return null;
        }

        var set = PlanStep.CreateProviders(env, plan, new ProviderOptions { Time = env.Time });
        if (set is null)
        {
            return null;
        }

        foreach (var notice in set.Notices)
        {
            env.Error.WriteLine($"notice: {notice}");
        }

        try
        {
            return new OrchestratorTarget(set, set.Resolve(request.Provider ?? set.Providers[0].Name, request.Model));
        }
        catch (Exception e) when (e is PlanException or ArgumentException or InvalidOperationException or KeyNotFoundException)
        {
            set.Dispose();
            env.Error.WriteLine($"error: {e.Message}");
            return null;
        }
    }
}
