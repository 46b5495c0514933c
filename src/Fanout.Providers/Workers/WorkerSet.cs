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
/// installed, and a <see cref="SimulatedWorker"/> otherwise (with a notice) — the same rule that sends a provider
/// without a key to the simulator, so a generated or example plan runs anywhere.
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
        var used = plan.Tasks.Select(t => t.Body).OfType<AgentBody>().Select(b => b.Worker).Distinct(StringComparer.Ordinal);
        foreach (var name in used)
        {
            if (plan.Worker(name) is not { } definition)
            {
                continue; // the plan reader has reported it
            }

            var program = definition.Command[0];
            if (!options.SimulateAll && Find(program, plan.BaseDirectory, options.GetEnvironmentVariable("PATH")) is not null)
            {
                workers[name] = new CommandWorker(definition.Command, options.Variables);
                continue;
            }

            workers[name] = new SimulatedWorker(name, options.Time);
            if (!options.SimulateAll)
            {
                notices.Add($"worker '{name}': '{program}' is not installed (not on PATH) — using a simulated worker (synthetic output that fits its contract)");
            }
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
