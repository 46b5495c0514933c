using System.Text.Json;

namespace Fanout.Execution.Workspaces;

/// <summary>
/// Runs <c>agent</c> tasks, giving each one with <c>workspace: worktree</c> a <c>git worktree</c> of its own: created
/// from the run's base commit, or from its dependencies' branches when it builds on other agents' work (several are
/// merged in <c>needs</c> order), so parallel agents never see each other's edits. On success the agent's changes are
/// committed on <c>fanout/RUN/TASK</c>, the file contracts it consumes are checked, the diff stat joins the output and
/// the worktree is removed; on failure the worktree is kept and its path is in the error. Other agent tasks go to
/// <paramref name="inner"/> unchanged.
/// </summary>
/// <param name="inner">The executor that runs the agent itself (<see cref="AgentExecutor"/>).</param>
/// <param name="environment">Fanout's environment, the one git gets its minimal set from; null: this process's.</param>
public sealed class WorktreeAgentExecutor(ITaskExecutor inner, IReadOnlyDictionary<string, string>? environment = null) : ITaskExecutor
{
    private readonly Worktrees _worktrees = new(new Git(environment ?? ProcessEnvironment.Current()));

    /// <inheritdoc />
    public string Kind => "agent";

    /// <inheritdoc />
    public async ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = (AgentBody)context.Task.Body;
        if (body.Workspace != AgentWorkspace.Worktree)
        {
            return await inner.ExecuteAsync(context, cancellationToken);
        }

        var repository = await _worktrees.OpenAsync(context);
        var start = await StartAsync(repository, context);
        var path = await _worktrees.CreateAsync(repository, context.InstanceId, start.Commit);
        try
        {
            if (start.Merge.Count > 0)
            {
                await MergeAsync(repository, path, start.First, start.Merge);
                start = start with { Commit = await _worktrees.CommitOfAsync(path, "HEAD") };
            }

            var cwd = Path.Combine(path, repository.PlanPath, body.WorkingDirectory ?? ".");
            var result = await inner.ExecuteAsync(context.WithBody(body with { WorkingDirectory = Path.GetFullPath(cwd) }), cancellationToken);
            await CheckContractsAsync(repository, context, path, result.Output);
            var commit = await _worktrees.CommitAllAsync(path, $"{context.InstanceId}: agent '{body.Worker}' (fanout run {context.RunId})");
            var branch = repository.Branch(context.InstanceId);
            await _worktrees.SetBranchAsync(repository, branch, commit);
            var stat = await _worktrees.DiffStatAsync(path, start.Commit, commit);
            await _worktrees.RemoveAsync(repository, path);
            return result with
            {
                Output = JsonSerializer.SerializeToElement(new { result = result.Output, branch, commit, @base = start.Commit, diff_stat = stat }),
            };
        }
        catch (TaskFailedException e)
        {
            throw new TaskFailedException($"{e.Message} (worktree kept at {path})", e.Retryable, e, e.Tokens, e.CostUsd);
        }
    }

    /// <summary>Where the worktree starts: the base commit, a dependency's branch, or the first of several to merge the rest into.</summary>
    private async Task<(string Commit, (string Task, string Branch)? First, IReadOnlyList<(string Task, string Branch)> Merge)> StartAsync(Worktrees.Repository repository, TaskContext context)
    {
        var branches = Worktrees.DependencyBranches(context);
        if (branches.Count == 0)
        {
            return (await _worktrees.BaseAsync(repository), null, []);
        }

        return (await _worktrees.CommitOfAsync(repository.Root, branches[0].Branch), branches[0], [.. branches.Skip(1)]);
    }

    private async Task MergeAsync(Worktrees.Repository repository, string path, (string Task, string Branch)? first, IReadOnlyList<(string Task, string Branch)> branches)
    {
        var @base = await _worktrees.BaseAsync(repository);
        var merged = new List<(string Task, string Branch)> { first!.Value };
        foreach (var (task, branch) in branches)
        {
            var conflict = await IntegrateExecutor.MergeAsync(_worktrees, path, @base, merged, task, branch);
            if (conflict is not null)
            {
                throw new TaskFailedException($"the branches of its dependencies conflict ({conflict}): integrate them first with an integrate task", retryable: false);
            }

            merged.Add((task, branch));
        }
    }

    /// <summary>Every file contract this task consumes: what it wrote checked against the schema its producer wrote.</summary>
    private async Task CheckContractsAsync(Worktrees.Repository repository, TaskContext context, string path, JsonElement output)
    {
        foreach (var contract in context.Plan.Contracts.Where(c => c.File is not null && c.Consumers.Contains(context.Task.Id)))
        {
            var schemaText = await _worktrees.ShowAsync(repository.Root, repository.Branch(contract.Producer), contract.File!)
                ?? throw new TaskFailedException($"contract '{contract.Name}': {contract.Producer} did not write the schema '{contract.File}' on its branch", retryable: false);
            var produced = output;
            if (contract.ConsumerFiles.TryGetValue(context.Task.Id, out var file))
            {
                var full = Path.Combine(path, file);
                if (!File.Exists(full))
                {
                    throw new TaskFailedException($"contract '{contract.Name}' ({contract.Producer} → {context.Task.Id}): {file} was not written", retryable: true);
                }

                produced = Parse(await File.ReadAllTextAsync(full, CancellationToken.None), $"contract '{contract.Name}': {file}");
            }

            var schema = Parse(schemaText, $"contract '{contract.Name}': the schema {contract.File} that {contract.Producer} wrote");
            if (PlanContracts.ConsumerViolation(contract, context.Task.Id, schema, produced) is { } violation)
            {
                throw new TaskFailedException(violation, retryable: true);
            }
        }
    }

    private static JsonElement Parse(string text, string what)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new TaskFailedException($"{what} is not JSON: {e.Message}", retryable: true);
        }
    }
}
