using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace Fanout.Execution.Tools;

/// <summary>
/// A tool that runs a program: its argv is a function of the call's arguments, each element exactly one argument
/// (no shell parses them, so a model's arguments cannot become shell text). Its result is standard output; a
/// non-zero exit fails the call with the end of standard error. It gets only the minimal environment and runs in a
/// session of its own, killed with everything in it when it exits or the call is cancelled.
/// </summary>
public sealed class ProcessTool : AIFunction
{
    private const int TailChars = 2048;
    private static readonly IReadOnlyDictionary<string, string> Parent = ProcessEnvironment.Current();
    private readonly string _name;
    private readonly string _description;
    private readonly Func<AIFunctionArguments, IReadOnlyList<string>> _argv;

    /// <summary>Creates the tool.</summary>
    /// <param name="name">The name calls use.</param>
    /// <param name="argv">The program and its arguments for one call.</param>
    /// <param name="description">What it does, for the model.</param>
    /// <param name="workingDirectory">Where it runs; null: the current directory.</param>
    public ProcessTool(string name, Func<AIFunctionArguments, IReadOnlyList<string>> argv, string description = "", string? workingDirectory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(argv);
        _name = name;
        _argv = argv;
        _description = description;
        WorkingDirectory = workingDirectory;
    }

    /// <inheritdoc />
    public override string Name => _name;

    /// <inheritdoc />
    public override string Description => _description;

    /// <summary>Where the process runs; null: the current directory.</summary>
    public string? WorkingDirectory { get; }

    /// <inheritdoc />
    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        var argv = _argv(arguments);
        if (argv.Count == 0)
        {
            throw new TaskFailedException($"tool '{_name}' produced an empty argv", retryable: false);
        }

        var start = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = WorkingDirectory ?? "",
        };
        foreach (var argument in argv.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        // A model chooses the arguments: the process sees no key, and nothing it starts outlives the call.
        ProcessEnvironment.Apply(start, Parent, InheritedEnvironment.None);
        if (!ProcessSession.Prepare(start, argv[0]))
        {
            throw new TaskFailedException($"cannot start '{argv[0]}': No such file or directory", retryable: false);
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new TaskFailedException($"cannot start '{argv[0]}': {e.Message}", retryable: false, e);
        }

        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            ProcessSession.KillAll(process);
            throw;
        }

        ProcessSession.KillAll(process);
        var output = await stdout;
        var error = (await stderr).Trim();
        if (process.ExitCode != 0)
        {
            var tail = error.Length <= TailChars ? error : "…" + error[^TailChars..];
            throw new TaskFailedException($"'{Path.GetFileName(argv[0])}' exited with code {process.ExitCode}{(tail.Length > 0 ? ": " + tail : "")}");
        }

        return output;
    }
}
