using System.Collections.Immutable;
using System.Text;
using System.Text.Json;

namespace Fanout.Execution.Workspaces;

/// <summary>A merge that stopped: the task being merged, the earlier tasks that changed the same files, and where.</summary>
/// <param name="Task">The task whose branch was being merged.</param>
/// <param name="With">The already merged tasks that changed a conflicted file.</param>
/// <param name="Files">Each conflicted file with its conflict hunks (1-based first and last line, markers included).</param>
internal sealed record Conflict(string Task, IReadOnlyList<string> With, IReadOnlyList<(string Path, IReadOnlyList<(int First, int Last)> Hunks)> Files)
{
    public override string ToString()
    {
        var others = With.Count == 0 ? "the base" : string.Join(" and ", With.Select(t => $"'{t}'"));
        var files = string.Join("; ", Files.Select(f => $"{f.Path} ({(f.Hunks.Count == 0 ? "whole file" : string.Join(", ", f.Hunks.Select(h => $"lines {h.First}-{h.Last}")))})"));
        return $"'{Task}' conflicts with {others} in {files}";
    }
}

/// <summary>
/// Runs <c>integrate</c> tasks: in a worktree at the run's base commit, merges the branch of each dependency (in
/// <c>needs</c> order) with a merge commit, runs the verification command in the result, and points
/// <c>fanout/RUN/integrated</c> at it — never the user's branch. Reports a clean merge (output), a conflict (the
/// files, hunks and the two tasks; with <c>on_conflict: repair</c> an agent is first given the conflicted tree, at
/// most <c>max_repairs</c> times) or a failed verification (its output). The worktree is kept when it fails.
/// </summary>
/// <param name="workers">Runs the repair agent.</param>
/// <param name="environment">Fanout's environment (git's minimal set; the verification command's); null: this process's.</param>
public sealed class IntegrateExecutor(IAgentWorkerResolver workers, IReadOnlyDictionary<string, string>? environment = null) : ITaskExecutor
{
    private readonly Worktrees _worktrees = new(new Git(environment ?? ProcessEnvironment.Current()));
    private readonly ProcessExecutor _processes = new(environment);

    /// <inheritdoc />
    public string Kind => "integrate";

    /// <inheritdoc />
    public async ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = (IntegrateBody)context.Task.Body;
        var branches = Worktrees.DependencyBranches(context);
        if (branches.Count == 0)
        {
            throw new TaskFailedException("nothing to integrate: no dependency produced a branch (give agents 'workspace: worktree')", retryable: false);
        }

        var repository = await _worktrees.OpenAsync(context);
        var @base = await _worktrees.BaseAsync(repository);
        var path = await _worktrees.CreateAsync(repository, context.InstanceId, @base);
        try
        {
            var merged = new List<(string Task, string Branch)>();
            var repairs = new List<string>();
            foreach (var (task, branch) in branches)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (await MergeAsync(_worktrees, path, @base, merged, task, branch) is { } conflict)
                {
                    if (body.OnConflict != ConflictPolicy.Repair || repairs.Count >= body.MaxRepairs)
                    {
                        var bound = body.OnConflict == ConflictPolicy.Repair ? $" (after {repairs.Count} repair{(repairs.Count == 1 ? "" : "s")})" : "";
                        throw new TaskFailedException($"merge conflict{bound}: {conflict}", retryable: false);
                    }

                    await RepairAsync(context, body, path, conflict, cancellationToken);
                    repairs.Add(conflict.ToString());
                }

                merged.Add((task, branch));
            }

            var verification = await VerifyAsync(context, body, repository, path, cancellationToken);
            var commit = await _worktrees.CommitOfAsync(path, "HEAD");
            var integrated = $"fanout/{context.RunId}/integrated";
            await _worktrees.SetBranchAsync(repository, integrated, commit);
            var stat = await _worktrees.DiffStatAsync(path, @base, commit);
            await _worktrees.RemoveAsync(repository, path);
            return new TaskResult
            {
                Output = JsonSerializer.SerializeToElement(new
                {
                    status = "merged",
                    branch = integrated,
                    commit,
                    @base,
                    merged = merged.Select(m => m.Task),
                    repairs,
                    verification,
                    diff_stat = stat,
                }),
            };
        }
        catch (TaskFailedException e)
        {
            throw new TaskFailedException($"{e.Message} (worktree kept at {path})", e.Retryable, e, e.Tokens, e.CostUsd);
        }
    }

    /// <summary>Merges <paramref name="branch"/> into the worktree at <paramref name="path"/>; the conflict, or null when it merged.</summary>
    internal static async Task<Conflict?> MergeAsync(Worktrees worktrees, string path, string @base, IReadOnlyList<(string Task, string Branch)> merged, string task, string branch)
    {
        var git = worktrees.Git;
        var result = await git.RunAsync(path, "merge", "--no-ff", "--no-edit", "-m", $"fanout: merge {task} ({branch})", branch);
        if (result.Ok)
        {
            return null;
        }

        var files = (await git.CheckAsync(path, "diff", "--name-only", "--diff-filter=U")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (files.Length == 0)
        {
            throw new TaskFailedException($"git merge {branch} failed: {result.Said}", retryable: false);
        }

        var with = new List<string>();
        foreach (var (earlier, earlierBranch) in merged)
        {
            var changed = await worktrees.ChangedFilesAsync(path, @base, earlierBranch);
            if (files.Any(changed.Contains))
            {
                with.Add(earlier);
            }
        }

        var hunks = new List<(string, IReadOnlyList<(int, int)>)>();
        foreach (var file in files)
        {
            hunks.Add((file, await HunksAsync(Path.Combine(path, file))));
        }

        return new Conflict(task, with, hunks);
    }

    /// <summary>The conflict-marker blocks of a file: first (<c>&lt;&lt;&lt;&lt;&lt;&lt;&lt;</c>) and last (<c>&gt;&gt;&gt;&gt;&gt;&gt;&gt;</c>) line.</summary>
    private static async Task<IReadOnlyList<(int, int)>> HunksAsync(string file)
    {
        if (!File.Exists(file))
        {
            return []; // deleted on one side
        }

        var hunks = new List<(int, int)>();
        var lines = await File.ReadAllLinesAsync(file, CancellationToken.None);
        var open = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].StartsWith("<<<<<<<", StringComparison.Ordinal))
            {
                open = i + 1;
            }
            else if (lines[i].StartsWith(">>>>>>>", StringComparison.Ordinal) && open > 0)
            {
                hunks.Add((open, i + 1));
                open = 0;
            }
        }

        return hunks;
    }

    /// <summary>Hands the conflicted tree to the repair agent and concludes the merge when it left no markers.</summary>
    private async Task RepairAsync(TaskContext context, IntegrateBody body, string path, Conflict conflict, CancellationToken cancellationToken)
    {
        var prompt = new StringBuilder()
            .AppendLine($"Resolve the merge conflict in this git worktree: {conflict}.")
            .AppendLine("Edit each conflicted file so that it keeps the intent of both sides and has no conflict markers (<<<<<<<, =======, >>>>>>>) left; do not commit.")
            .ToString()
            // The text is the agent's prompt template: what git wrote must not become template syntax.
            .Replace("{{", "{ {", StringComparison.Ordinal);
        var agent = new AgentBody { Worker = body.RepairWorker!, Prompt = prompt, WorkingDirectory = path, Workspace = AgentWorkspace.Shared };
        var repairContext = context.WithBody(agent);
        try
        {
            await workers.Resolve(agent.Worker, context.Plan).RunAsync(repairContext, cancellationToken);
        }
        catch (TaskFailedException e)
        {
            throw new TaskFailedException($"merge conflict: {conflict}; the repair by '{agent.Worker}' failed: {e.Message}", retryable: false, e);
        }

        foreach (var (file, _) in conflict.Files)
        {
            if ((await HunksAsync(Path.Combine(path, file))).Count > 0)
            {
                throw new TaskFailedException($"merge conflict: {conflict}; the repair by '{agent.Worker}' left conflict markers in {file}", retryable: false);
            }
        }

        await _worktrees.Git.CheckAsync(path, "add", "--all");
        await _worktrees.Git.CheckAsync(path, "commit", "--quiet", "--no-verify", "--no-edit");
    }

    /// <summary>Runs the verification command in the merged tree; its exit code and output, or a failure quoting them.</summary>
    private async Task<object?> VerifyAsync(TaskContext context, IntegrateBody body, Worktrees.Repository repository, string path, CancellationToken cancellationToken)
    {
        if (body.Verify.IsDefaultOrEmpty)
        {
            return null;
        }

        var process = new ProcessBody
        {
            // Fixed text (the plan reader rejects templates in 'verify'), rendered as itself.
            Argv = body.Verify,
            WorkingDirectory = Path.GetFullPath(Path.Combine(path, repository.PlanPath)),
            InheritEnv = InheritedEnvironment.Everything,
        };
        var run = await _processes.RunAsync(process, context.WithBody(process), cancellationToken);
        var output = ProcessExecutor.Tail((run.Stdout + run.Stderr).Trim());
        if (run.ExitCode != 0)
        {
            throw new TaskFailedException($"verification failed: '{string.Join(' ', body.Verify)}' exited with code {run.ExitCode}: {output}", retryable: false);
        }

        return new { argv = body.Verify, exit_code = run.ExitCode, output };
    }
}
