using System.Text.Json;
using Fanout.Execution;
using Fanout.Plans;
using Fanout.Providers;
using Fanout.Providers.Workers;

namespace Fanout.Cli.Commands;

/// <summary>
/// The steps every command shares before it can act: load and compile the plan, resolve inputs. Each prints what is
/// wrong to stderr, one <c>file:line:col: error: message</c> per problem, and returns null so the command exits 2.
/// </summary>
internal static class PlanStep
{
    /// <summary>A plan file read once and compiled (validated once), with the text that was read.</summary>
    public sealed record PlanFile(TaskGraph Graph, string Text);

    /// <summary>The compiled plan, or null after printing every problem.</summary>
    public static TaskGraph? Load(CliEnvironment env, string path) => Read(env, path)?.Graph;

    /// <summary>The compiled plan and its text, or null after printing every problem.</summary>
    public static PlanFile? Read(CliEnvironment env, string path)
    {
        try
        {
            var graph = PlanLoader.Compile(env.LoaderPath(path), out var text);
            return new PlanFile(graph, text);
        }
        catch (PlanException e)
        {
            WriteDiagnostics(env.Error, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            env.Error.WriteLine($"{path}: error: cannot read the plan: {e.Message}");
        }

        return null;
    }

    /// <summary>The run's inputs (<c>--input</c> values over the plan's defaults), or null after printing every problem.</summary>
    public static JsonElement? ResolveInputs(CliEnvironment env, PlanDefinition plan, IReadOnlyList<string> values)
    {
        try
        {
            return InputResolver.Resolve(plan, InputValues.Parse(values, env.CurrentDirectory));
        }
        catch (PlanException e)
        {
            WriteDiagnostics(env.Error, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or FormatException)
        {
            env.Error.WriteLine($"error: invalid --input: {e.Message}");
        }

        return null;
    }

    /// <summary>The plan's providers (building them is also how their settings get checked), or null after printing
    /// every problem.</summary>
    public static ProviderSet? CreateProviders(CliEnvironment env, PlanDefinition plan, ProviderOptions options)
    {
        try
        {
            return ProviderSetup.Create(plan, options with { GetEnvironmentVariable = env.GetEnvironmentVariable });
        }
        catch (PlanException e)
        {
            WriteDiagnostics(env.Error, e);
            return null;
        }
    }

    /// <summary>
    /// <paramref name="plan"/> with its <c>providers</c> replaced by those of <paramref name="path"/> (a YAML file holding
    /// only <c>providers:</c>, read by the plan reader so errors carry that file's lines), or null after printing every problem.
    /// </summary>
    public static PlanDefinition? WithProviders(CliEnvironment env, PlanDefinition plan, string? path)
    {
        if (path is null)
        {
            return plan;
        }

        try
        {
            return plan with { Providers = PlanLoader.LoadProviders(env.LoaderPath(path)) };
        }
        catch (PlanException e)
        {
            WriteDiagnostics(env.Error, e);
            return null;
        }
    }

    /// <summary>The executors a plan's tasks run with (local runs and distributed workers alike), their results and
    /// failures passed through <paramref name="redactor"/>.</summary>
    public static ExecutorRegistry Executors(CliEnvironment env, ProviderSet providers, WorkerSet workers, Redactor redactor) =>
        redactor.Wrap(ExecutorRegistry.CreateDefault().With(new ProcessExecutor(env.Variables)).With(new PromptExecutor(providers, Fanout.Execution.Tools.PlanTools.Create))
            .With(new ImageExecutor(providers)).With(new Fanout.Execution.Workspaces.WorktreeAgentExecutor(new AgentExecutor(workers), env.Variables))
            .With(new Fanout.Execution.Workspaces.IntegrateExecutor(workers, env.Variables)));

    /// <summary>The run's one redactor: every configured key and every secret-named variable of the environment.</summary>
    public static Redactor Redactor(CliEnvironment env, ProviderSet providers) =>
        new(providers.Secrets.Concat(Fanout.Redactor.SecretVariables(env.Variables)));

    /// <summary>The most problems printed; past that, a count. The first few are what gets fixed first anyway.</summary>
    public const int ListedProblems = 50;

    /// <summary>One line per diagnostic: <c>file:line:col: error: message</c> (or <c>error: message</c> without a
    /// location), the first <see cref="ListedProblems"/> of them, then how many more there are.</summary>
    public static void WriteDiagnostics(TextWriter writer, PlanException exception)
    {
        foreach (var diagnostic in exception.Diagnostics.Take(ListedProblems))
        {
            writer.WriteLine(diagnostic.ToString());
        }

        if (exception.Diagnostics.Count > ListedProblems)
        {
            var more = exception.Diagnostics.Count - ListedProblems;
            writer.WriteLine($"… and {more} more problem{(more == 1 ? "" : "s")} ({exception.Diagnostics.Count} in all)");
        }
    }
}
