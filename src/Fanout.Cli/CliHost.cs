using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Reflection;
using Fanout.Cli.Commands;

namespace Fanout.Cli;

/// <summary>
/// The <c>fanout</c> command as a function: arguments, an environment (writers, env lookup, directory) and a
/// cancellation token in, an exit code out. Program.cs only adds the real console and signal handling.
/// </summary>
internal static class CliHost
{
    static CliHost() => DistributedRun.RegisterStore();

    /// <summary>The version printed by <c>--version</c>.</summary>
    public static string Version { get; } =
        typeof(CliHost).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(CliHost).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    /// <summary>Parses <paramref name="args"/> and runs the command. <paramref name="cancellationToken"/> is Ctrl+C.</summary>
    public static async Task<int> RunAsync(string[] args, CliEnvironment env, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(env);
        // No response files: `--input @inputs.json` means a file of inputs, not more command-line arguments.
        var parse = BuildRoot(env).Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0)
        {
            await WriteUsageErrorsAsync(env.Error, parse);
            return ExitCodes.Invalid;
        }

        var configuration = new InvocationConfiguration
        {
            Output = env.Out,
            Error = env.Error,
            // Signals are ours (Program.cs): System.CommandLine's own handler would cut the graceful shutdown short.
            ProcessTerminationTimeout = null,
            EnableDefaultExceptionHandler = false,
        };
        try
        {
            return await parse.InvokeAsync(configuration, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await env.Error.WriteLineAsync(RunStatus.Cancelled.ToWire());
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await env.Error.WriteLineAsync($"fanout: unexpected error: {e.GetType().Name}: {e.Message}");
            return ExitCodes.TaskFailed;
        }
    }

    /// <summary>
    /// One line per problem with the command line, naming the command whose help explains it, instead of
    /// System.CommandLine's default of the errors followed by the whole help text.
    /// </summary>
    private static async Task WriteUsageErrorsAsync(TextWriter error, ParseResult parse)
    {
        var names = new List<string>();
        for (SymbolResult? result = parse.CommandResult; result is not null; result = result.Parent)
        {
            if (result is CommandResult command)
            {
                names.Insert(0, command.Command.Name);
            }
        }

        foreach (var problem in parse.Errors)
        {
            await error.WriteLineAsync($"error: {problem.Message.ReplaceLineEndings(" ").Trim()} (see '{string.Join(' ', names)} --help')");
        }
    }

    /// <summary>The command tree (exposed for help-text tests).</summary>
    public static Command BuildRoot(CliEnvironment env)
    {
        // A plain Command named "fanout" rather than RootCommand, whose name (shown in usage) is the executable's file
        // name: Fanout.Cli under `dotnet run`, testhost under tests.
        return new Command("fanout",
            "fanout runs DAGs of AI work (LLM prompts, processes, merges) in parallel: each task starts the moment its own " +
            "dependencies finish, within concurrency and provider limits, and every run leaves a report (run.json, report.html) " +
            "with its speedup and efficiency.")
        {
            new HelpOption(),
            // The default action prints the entry assembly's version, which is the test host's under tests.
            new VersionOption { Action = new VersionAction() },
            RunCommand.Create(env),
            ValidateCommand.Create(env),
            GraphCommand.Create(env),
            EstimateCommand.Create(env),
            SimulateCommand.Create(env),
            PlanCommand.Create(env),
            WorkerCommand.Create(env),
            ResumeCommand.Create(env),
            RunsCommand.Create(env),
            ShowCommand.Create(env),
            AnalyzeCommand.Create(env),
            ServeCommand.Create(env),
            CancelCommand.Create(env),
        };
    }

    private sealed class VersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Version);
            return ExitCodes.Success;
        }
    }
}
