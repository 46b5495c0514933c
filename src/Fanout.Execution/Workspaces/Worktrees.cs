using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Fanout.Execution.Workspaces;

/// <summary>
/// The git side of agents in worktrees, one repository per plan (the one holding the plan's directory). A run pins its
/// base commit once, as <c>refs/fanout/RUN/base</c>, so every agent (and a resumed run) starts from the same commit;
/// each task's worktree is <c>.fanout/worktrees/RUN/TASK</c> at the repository's top (Fanout's own folder, beside its
/// store), and its result is the branch <c>fanout/RUN/TASK</c>.
/// </summary>
internal sealed partial class Worktrees(Git git)
{
    /// <summary>The git this runs.</summary>
    public Git Git => git;

    /// <summary>A repository as one run's task sees it.</summary>
    /// <param name="Root">The main working tree's top directory.</param>
    /// <param name="CommonDirectory">The shared git directory (<c>.git</c>).</param>
    /// <param name="PlanPath">The plan's directory relative to <paramref name="Root"/> ("" at the top).</param>
    /// <param name="RunId">The run.</param>
    public sealed record Repository(string Root, string CommonDirectory, string PlanPath, string RunId)
    {
        public string Branch(string task) => $"fanout/{RunId}/{RefName(task)}";

        public string BaseRef => $"refs/fanout/{RunId}/base";

        // Not under .git: agent CLIs refuse to edit files there (Claude Code does, even with acceptEdits).
        public string PathOf(string task) => Path.Combine(Root, ".fanout", "worktrees", RunId, RefName(task));
    }

    /// <summary>The repository of <paramref name="context"/>'s plan; fails the task when the plan is not in one.</summary>
    public async Task<Repository> OpenAsync(TaskContext context)
    {
        var directory = context.Plan.BaseDirectory;
        if (context.RunId.Length == 0)
        {
            throw new TaskFailedException("workspace: worktree needs a run id (the engine running this task gives none)", retryable: false);
        }

        var top = await git.RunAsync(directory, "rev-parse", "--show-toplevel", "--git-common-dir");
        if (!top.Ok)
        {
            throw new TaskFailedException($"workspace: worktree needs the plan's directory '{directory}' to be in a git repository: {top.Said}", retryable: false);
        }

        var lines = top.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var root = lines[0];
        var common = Path.GetFullPath(lines[1], directory);
        var relative = Path.GetRelativePath(root, Path.GetFullPath(directory));
        return new Repository(root, common, relative == "." ? "" : relative, context.RunId);
    }

    /// <summary>The run's base commit: pinned by the first task that asks (HEAD then), the same for every later one.</summary>
    public Task<string> BaseAsync(Repository repository) => Git.LockedAsync(repository.CommonDirectory, async () =>
    {
        var pinned = await git.RunAsync(repository.Root, "rev-parse", "--verify", "--quiet", repository.BaseRef + "^{commit}");
        if (pinned.Ok)
        {
            return pinned.Stdout.Trim();
        }

        var head = (await git.CheckAsync(repository.Root, "rev-parse", "--verify", "HEAD^{commit}")).Trim();
        await git.CheckAsync(repository.Root, "update-ref", repository.BaseRef, head);
        return head;
    });

    /// <summary>
    /// A fresh worktree for <paramref name="task"/> at <paramref name="start"/> (detached). What an interrupted run left
    /// at that path (a killed agent's worktree) is removed first, so a resumed task starts clean.
    /// </summary>
    public Task<string> CreateAsync(Repository repository, string task, string start) => Git.LockedAsync(repository.CommonDirectory, async () =>
    {
        var path = repository.PathOf(task);
        await RemoveLockedAsync(repository, path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await git.CheckAsync(repository.Root, "worktree", "add", "--detach", path, start);
        return path;
    });

    /// <summary>Removes the worktree at <paramref name="path"/> (and git's record of it).</summary>
    public Task RemoveAsync(Repository repository, string path) =>
        Git.LockedAsync(repository.CommonDirectory, async () => await RemoveLockedAsync(repository, path));

    private async Task<bool> RemoveLockedAsync(Repository repository, string path)
    {
        if (Directory.Exists(path))
        {
            await git.RunAsync(repository.Root, "worktree", "remove", "--force", "--force", path);
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }

        await git.RunAsync(repository.Root, "worktree", "prune");
        return true;
    }

    /// <summary>Points <paramref name="branch"/> at <paramref name="commit"/> (created or moved).</summary>
    public Task SetBranchAsync(Repository repository, string branch, string commit) =>
        Git.LockedAsync(repository.CommonDirectory, async () => await git.CheckAsync(repository.Root, "branch", "--force", branch, commit));

    /// <summary>The commit <paramref name="revision"/> names.</summary>
    public async Task<string> CommitOfAsync(string directory, string revision) =>
        (await git.CheckAsync(directory, "rev-parse", "--verify", revision + "^{commit}")).Trim();

    /// <summary>Commits everything in the worktree (new, changed, deleted files); the new HEAD (HEAD itself when nothing changed).</summary>
    public async Task<string> CommitAllAsync(string worktree, string message)
    {
        await git.CheckAsync(worktree, "add", "--all");
        var staged = await git.RunAsync(worktree, "diff", "--cached", "--quiet");
        if (!staged.Ok)
        {
            await git.CheckAsync(worktree, "commit", "--quiet", "--no-verify", "-m", message);
        }

        return await CommitOfAsync(worktree, "HEAD");
    }

    /// <summary>What changed from <paramref name="from"/> to <paramref name="to"/>: per file and in total, and git's summary line.</summary>
    public async Task<JsonElement> DiffStatAsync(string directory, string from, string to)
    {
        var files = new List<object>();
        long insertions = 0, deletions = 0;
        foreach (var line in (await git.CheckAsync(directory, "diff", "--numstat", from, to)).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split('\t', 3);
            // Binary files show "-" for both counts.
            long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var added);
            long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var removed);
            insertions += added;
            deletions += removed;
            files.Add(new { path = parts[2], insertions = added, deletions = removed });
        }

        var summary = (await git.CheckAsync(directory, "diff", "--shortstat", from, to)).Trim();
        return JsonSerializer.SerializeToElement(new { files_changed = files.Count, insertions, deletions, summary, files });
    }

    /// <summary>Files changed between two commits.</summary>
    public async Task<IReadOnlyList<string>> ChangedFilesAsync(string directory, string from, string to) =>
        (await git.CheckAsync(directory, "diff", "--name-only", from, to)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The text of <paramref name="file"/> at <paramref name="revision"/>, or null when it has none.</summary>
    public async Task<string?> ShowAsync(string directory, string revision, string file)
    {
        var shown = await git.RunAsync(directory, "show", $"{revision}:{file}");
        return shown.Ok ? shown.Stdout : null;
    }

    /// <summary>The branches the dependencies of <paramref name="context"/>'s task produced (agents in worktrees and
    /// integrations), in the order of its <c>needs</c>.</summary>
    public static IReadOnlyList<(string Task, string Branch)> DependencyBranches(TaskContext context) =>
        [.. context.Task.Needs
            .Select(id => context.Dependencies.TryGetValue(id, out var d) ? d : null)
            .Where(d => d?.Output is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty("branch", out var b) && b.ValueKind == JsonValueKind.String)
            .Select(d => (d!.Id, d.Output!.Value.GetProperty("branch").GetString()!))];

    /// <summary>A task or instance id as a ref component: <c>review[2]</c> → <c>review-2</c>.</summary>
    internal static string RefName(string id) => Unsafe().Replace(id, "-").Trim('-');

    [GeneratedRegex("[^A-Za-z0-9_.-]+")]
    private static partial Regex Unsafe();
}
