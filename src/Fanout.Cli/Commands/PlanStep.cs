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
    /// <summary>The compiled plan, or null after printing every problem.</summary>
    public static TaskGraph? Load(CliEnvironment env, string path)
    {
        try
        {
            return TaskGraph.Compile(PlanLoader.Load(env.LoaderPath(path)));
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

    /// <summary>The executors a plan's tasks run with (local runs and distributed workers alike).</summary>
    public static ExecutorRegistry Executors(ProviderSet providers, WorkerSet workers) =>
        ExecutorRegistry.CreateDefault().With(new ProcessExecutor()).With(new PromptExecutor(providers)).With(new ImageExecutor(providers)).With(new AgentExecutor(workers));

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
