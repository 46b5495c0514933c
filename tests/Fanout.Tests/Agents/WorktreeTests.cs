using System.Text.Json;

namespace Fanout.Tests.Agents;

/// <summary>
/// Agents with <c>workspace: worktree</c> in a real git repository: each in its own worktree, committed on
/// <c>fanout/RUN/TASK</c>, integrated by an <c>integrate</c> task into <c>fanout/RUN/integrated</c>.
/// </summary>
public sealed class WorktreeTests : IDisposable
{
    private readonly AgentRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    private static RunReport Report(string directory) => RunReport.FromJson(File.ReadAllText(Path.Combine(directory, "out", "run.json")));

    [Fact]
    public async Task Four_agents_in_parallel_worktrees_are_integrated_and_the_one_conflict_names_its_file_hunk_and_both_tasks()
    {
        _repo.Cli.Plan($$"""
            name: four
            {{AgentRepository.Workers}}
            defaults: { retry: 1 }
            tasks:
              - { id: alpha, worker: claude, workspace: worktree, prompt: "write alpha.txt from alpha" }
              - { id: beta, worker: claude, workspace: worktree, prompt: "write beta.txt from beta" }
              - { id: gamma, worker: claude, workspace: worktree, prompt: "write gamma.txt from gamma\nwrite shared.txt gamma rewrote this" }
              - { id: delta, worker: claude, workspace: worktree, prompt: "write shared.txt delta rewrote this" }
              - { id: integrate, kind: integrate, needs: [alpha, beta, gamma, delta], verify: [sh, -c, "test -f alpha.txt"] }
            """);

        var result = await _repo.Cli.RunAsync("run", "plan.yaml", "--plain", "--out", "out", "--store", "memory");

        Assert.True(result.ExitCode == 1, result.ToString());
        var report = Report(_repo.Directory);
        var run = report.RunId;
        Assert.Equal(["alpha", "beta", "gamma", "delta"], report.Tasks.Where(t => t.Status == TaskState.Succeeded).Select(t => t.Id));
        Assert.Equal(
            [$"fanout/{run}/alpha", $"fanout/{run}/beta", $"fanout/{run}/delta", $"fanout/{run}/gamma"],
            _repo.FanoutBranches());
        // Each agent saw only the base commit: its branch holds its own file and none of the others'.
        Assert.Equal(["alpha.txt", "fake-claude", "shared.txt"], _repo.Files($"fanout/{run}/alpha"));
        Assert.Equal(["beta.txt", "fake-claude", "shared.txt"], _repo.Files($"fanout/{run}/beta"));
        var gamma = report.Tasks.Single(t => t.Id == "gamma").Output!.Value;
        Assert.Equal(($"fanout/{run}/gamma", 2), (gamma.GetProperty("branch").GetString(), gamma.GetProperty("diff_stat").GetProperty("files_changed").GetInt32()));
        Assert.Equal("done in gamma", gamma.GetProperty("result").GetString());

        var error = report.Tasks.Single(t => t.Id == "integrate").Error!;
        Assert.StartsWith("merge conflict: 'delta' conflicts with 'gamma' in shared.txt (lines 1-5) (worktree kept at ", error);
        var kept = error[(error.IndexOf("kept at ", StringComparison.Ordinal) + 8)..^1];
        Assert.Contains("<<<<<<<", File.ReadAllText(Path.Combine(kept, "shared.txt")));
        Assert.Equal([kept], _repo.ExtraWorktrees());
        Assert.DoesNotContain($"fanout/{run}/integrated", _repo.FanoutBranches());
        // The user's branch is untouched.
        Assert.Equal("main", _repo.Git("branch", "--show-current").Trim());
        Assert.Equal(["fake-claude", "shared.txt"], _repo.Files("main"));
    }

    [Fact]
    public async Task Integration_merges_in_needs_order_verifies_and_later_agents_start_from_the_integrated_branch_leaving_no_worktree()
    {
        _repo.Cli.Plan($$"""
            name: clean
            {{AgentRepository.Workers}}
            defaults: { retry: 1 }
            tasks:
              - { id: api, worker: claude, workspace: worktree, prompt: "write api.txt the api" }
              - { id: page, worker: claude, workspace: worktree, prompt: "write page.txt the page" }
              - { id: integrate, kind: integrate, needs: [api, page], verify: [sh, -c, "test -f api.txt && test -f page.txt && echo verified"] }
              - { id: docs, worker: claude, workspace: worktree, needs: integrate, prompt: "append api.txt documented" }
            """);

        var result = await _repo.Cli.RunAsync("run", "plan.yaml", "--plain", "--out", "out", "--store", "memory");

        Assert.True(result.ExitCode == 0, result.ToString());
        var report = Report(_repo.Directory);
        var run = report.RunId;
        var integrate = report.Tasks.Single(t => t.Id == "integrate").Output!.Value;
        Assert.Equal("merged", integrate.GetProperty("status").GetString());
        Assert.Equal(["api", "page"], integrate.GetProperty("merged").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("verified", integrate.GetProperty("verification").GetProperty("output").GetString());
        Assert.Equal(["api.txt", "fake-claude", "page.txt", "shared.txt"], _repo.Files($"fanout/{run}/integrated"));
        Assert.Equal("the api\ndocumented\n", _repo.Git("show", $"fanout/{run}/docs:api.txt"));
        Assert.Equal($"fanout/{run}/integrated", integrate.GetProperty("branch").GetString());
        Assert.Empty(_repo.ExtraWorktrees());
        var docs = report.Tasks.Single(t => t.Id == "docs");
        Assert.Equal((new TokenTotals(150, 20), 0.01m), (docs.Tokens, docs.CostUsd));
    }

    [Fact]
    public async Task On_conflict_repair_hands_the_conflicted_tree_to_the_repair_worker_and_the_integration_goes_on()
    {
        _repo.Cli.Plan($$"""
            name: repaired
            workers:
              claude: { preset: claude, program: ./fake-claude }
              fixer: [sh, -c, "printf 'both sides kept\n' > shared.txt", fixer]
            defaults: { retry: 1 }
            tasks:
              - { id: left, worker: claude, workspace: worktree, prompt: "write shared.txt left side" }
              - { id: right, worker: claude, workspace: worktree, prompt: "write shared.txt right side" }
              - { id: integrate, kind: integrate, needs: [left, right], on_conflict: repair, repair_worker: fixer, max_repairs: 1 }
            """);

        var result = await _repo.Cli.RunAsync("run", "plan.yaml", "--plain", "--out", "out", "--store", "memory");

        Assert.True(result.ExitCode == 0, result.ToString());
        var report = Report(_repo.Directory);
        var output = report.Tasks.Single(t => t.Id == "integrate").Output!.Value;
        Assert.Equal(["'right' conflicts with 'left' in shared.txt (lines 1-5)"], output.GetProperty("repairs").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal("both sides kept\n", _repo.Git("show", $"fanout/{report.RunId}/integrated:shared.txt"));
        Assert.Empty(_repo.ExtraWorktrees());
    }

    [Fact]
    public async Task A_failed_agent_keeps_its_worktree_with_its_edits_and_the_error_names_the_path()
    {
        _repo.Cli.Plan($$"""
            name: failing
            {{AgentRepository.Workers}}
            defaults: { retry: 1 }
            tasks:
              - { id: broken, worker: claude, workspace: worktree, prompt: "write half.txt half done\nfail tests do not pass" }
            """);

        var result = await _repo.Cli.RunAsync("run", "plan.yaml", "--plain", "--out", "out", "--store", "memory");

        Assert.True(result.ExitCode == 1, result.ToString());
        var error = Report(_repo.Directory).Tasks.Single().Error!;
        Assert.StartsWith("'fake-claude' exited with code 1 — stdout: tests do not pass (worktree kept at ", error);
        var kept = error[(error.IndexOf("kept at ", StringComparison.Ordinal) + 8)..^1];
        Assert.Equal("half done\n", File.ReadAllText(Path.Combine(kept, "half.txt")));
        Assert.Equal([kept], _repo.ExtraWorktrees());
        Assert.Empty(_repo.FanoutBranches());
    }

    [Fact]
    public async Task A_consumer_that_breaks_the_schema_file_its_producer_wrote_fails_with_the_path_and_the_expectation()
    {
        _repo.Cli.Plan($$$$$"""
            name: contract
            {{{{{AgentRepository.Workers}}}}}
            defaults: { retry: 1 }
            contracts:
              api:
                producer: design
                file: api.schema.json
                consumers: [{ task: client, file: client/calls.json }, { task: server, file: server/routes.json }]
            tasks:
              - id: design
                worker: claude
                workspace: worktree
                prompt: 'write api.schema.json {"type":"object","required":["routes"],"properties":{"routes":{"type":"array","items":{"enum":["GET /todos","POST /todos"]}}}}'
              - { id: server, worker: claude, workspace: worktree, needs: design, prompt: 'write server/routes.json {"routes":["GET /todos","POST /todos"]}' }
              - { id: client, worker: claude, workspace: worktree, needs: design, prompt: 'write client/calls.json {"routes":["DELETE /todos"]}' }
            """);

        var result = await _repo.Cli.RunAsync("run", "plan.yaml", "--plain", "--out", "out", "--store", "memory");

        Assert.True(result.ExitCode == 1, result.ToString());
        var report = Report(_repo.Directory);
        Assert.Equal(TaskState.Succeeded, report.Tasks.Single(t => t.Id == "server").Status);
        var error = report.Tasks.Single(t => t.Id == "client").Error!;
        Assert.StartsWith("contract 'api' (design → client) violated by client/calls.json: /routes/0: ", error);
        Assert.Contains("GET /todos", error);
    }

    [Fact]
    public async Task A_worker_pool_runs_its_agents_one_at_a_time_and_their_cost_exhausts_the_run_budget()
    {
        _repo.Cli.Plan($$"""
            name: limits
            workers: { claude: { preset: claude, program: ./fake-claude, pool: claude } }
            pools: { claude: 1 }
            budget_usd: 1.0
            tasks:
              - { id: a, worker: claude, prompt: "cost 0.6" }
              - { id: b, worker: claude, prompt: "cost 0.6" }
              - { id: c, worker: claude, prompt: "cost 0.6" }
            """);

        var result = await _repo.Cli.RunAsync("run", "plan.yaml", "--plain", "--out", "out", "--store", "memory");

        var report = Report(_repo.Directory);
        Assert.True(report.Status == RunStatus.BudgetExhausted, result.ToString());
        var ran = report.Tasks.Where(t => t.Status == TaskState.Succeeded).OrderBy(t => t.StartedAt).ToList();
        Assert.Equal(2, ran.Count);
        Assert.True(ran[0].FinishedAt <= ran[1].StartedAt, "the pool of 1 let two agents overlap");
        Assert.Equal(1.2m, report.CostUsd);
        Assert.Contains(report.Tasks, t => t.Status == TaskState.Cancelled && t.Error == "budget exhausted");
    }
}
