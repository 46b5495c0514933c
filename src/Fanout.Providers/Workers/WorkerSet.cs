using Fanout.Execution;

namespace Fanout.Providers.Workers;

/// <summary>The agent workers of one run: each worker an <c>agent</c> task names, as a real command or a stand-in.</summary>
public sealed class WorkerSet : IAgentWorkerResolver
{
    private readonly Dictionary<string, IAgentWorker> _workers;

    internal WorkerSet(Dictionary<string, IAgentWorker> workers, IReadOnlyList<string> notices)
    {
        _workers = workers;
        Notices = notices;
    }

    /// <summary>Things the user should see before the run (a worker that is not installed and is simulated).</summary>
    public IReadOnlyList<string> Notices { get; }

    /// <summary>Names of the workers served by the stand-in.</summary>
    public IEnumerable<string> Simulated => _workers.Where(w => w.Value is SimulatedWorker).Select(w => w.Key);

    /// <inheritdoc />
    public IAgentWorker Resolve(string name, PlanDefinition plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return _workers.TryGetValue(name, out var worker)
            ? worker
            : throw new TaskFailedException($"worker '{name}' is not known{Names.DidYouMean(name, _workers.Keys)}", retryable: false);
    }
}

/// <summary>
/// Builds a <see cref="WorkerSet"/>: every worker the plan's agent tasks use runs its command when the program is
/// installed. The simulated stand-in runs only when asked — the worker's <c>simulate: true</c> or
/// <see cref="ProviderOptions.SimulateAll"/> (<c>fanout run --simulate</c>); a CLI that is missing otherwise fails its
/// tasks with the command that installs it, since a stand-in's output silently replacing an agent's work would mislead.
/// </summary>
public static class WorkerSetup
{
    /// <summary>The workers for <paramref name="plan"/>; <see cref="ProviderOptions.SimulateAll"/> simulates every one.</summary>
    public static WorkerSet Create(PlanDefinition plan, ProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        var workers = new Dictionary<string, IAgentWorker>(StringComparer.Ordinal);
        var notices = new List<string>();
        var used = plan.Tasks.Select(t => t.Body switch { AgentBody a => a.Worker, IntegrateBody i => i.RepairWorker, _ => null })
            .OfType<string>().Distinct(StringComparer.Ordinal);
        foreach (var name in used)
        {
            if (plan.Worker(name) is not { } definition)
            {
                continue; // the plan reader has reported it
            }

            if (options.SimulateAll || definition.Simulate)
            {
                workers[name] = new SimulatedWorker(name, options.Time);
                var asker = definition.Simulate ? "the worker's simulate: true" : "--simulate";
                notices.Add($"worker '{name}': using a simulated worker ({asker}) — synthetic output that fits its contract, marked simulated");
                continue;
            }

            var program = definition.Program;
            if (Find(program, plan.BaseDirectory, options.GetEnvironmentVariable("PATH")) is { } found)
            {
                // A relative program is the plan's, wherever the agent works (its worktree, its cwd).
                var command = program.Contains('/', StringComparison.Ordinal) ? definition with { Command = definition.Command.SetItem(0, found) } : definition;
                workers[name] = new CommandWorker(command, options.Variables);
                continue;
            }

            var install = definition.InstallCommand is { } installCommand ? $"; install it with: {installCommand}" : "";
            var message = $"worker '{name}': '{program}' is not installed (not on PATH){install} — or run with --simulate (or the worker's simulate: true) for a simulated stand-in";
            workers[name] = new MissingWorker(message);
            notices.Add(message);
        }

        return new WorkerSet(workers, notices);
    }

    /// <summary>The executable <paramref name="program"/> names: a path as given, else the first match on PATH.</summary>
    internal static string? Find(string program, string baseDirectory, string? path)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            var full = Path.GetFullPath(program, baseDirectory);
            return File.Exists(full) ? full : null;
        }

        foreach (var directory in (path ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0))
            {
                return candidate;
            }
        }

        return null;
    }
}

/// <summary>A worker whose CLI is not installed: each task fails, not retried, saying how to install it.</summary>
internal sealed class MissingWorker(string message) : IAgentWorker
{
    public ValueTask<TaskResult> RunAsync(TaskContext context, CancellationToken cancellationToken) =>
        throw new TaskFailedException(message, retryable: false);
}
