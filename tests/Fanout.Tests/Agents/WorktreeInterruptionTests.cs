using System.Globalization;
using Fanout.Tests.Cli;

namespace Fanout.Tests.Agents;

/// <summary>Agents in worktrees interrupted: a run killed with SIGKILL mid-agent and resumed, and a cancelled run.</summary>
public sealed class WorktreeInterruptionTests : IDisposable
{
    private readonly AgentRepository _repo = new();

    public void Dispose() => _repo.Dispose();

    /// <summary>Waits until the agent that writes its pid to <paramref name="fifo"/> runs; its pid.</summary>
    private static async Task<int> AgentStartedAsync(string fifo) =>
        int.Parse((await File.ReadAllTextAsync(fifo).WaitAsync(TimeSpan.FromSeconds(60))).Trim(), CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="pid"/> is a live process (not gone, not a zombie waiting to be reaped), from /proc.</summary>
    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [Fact]
    public async Task A_run_killed_mid_agent_and_resumed_reruns_it_in_a_fresh_worktree_and_leaves_none_behind()
    {
        var fifo = _repo.Fifo("started");
        var gate = Path.Combine(_repo.Directory, "gate");
        // The first time, the agent signals and blocks; once the gate file exists it finishes at once.
        _repo.Cli.Plan($$"""
            name: killed
            {{AgentRepository.Workers}}
            tasks:
              - id: slow
                worker: claude
                workspace: worktree
                env: { GATE: "{{gate}}" }
                prompt: "write result.txt finished"
              - { id: quick, worker: claude, workspace: worktree, prompt: "write quick.txt quick" }
            """);
        var script = Path.Combine(_repo.Directory, "fake-claude");
        // The slow agent blocks only while the gate is missing: a wrapper in front of the fake CLI.
        File.WriteAllText(script + "-gated", $"#!/bin/sh\nif [ \"$FANOUT_TASK_ID\" = slow ] && [ ! -e \"$GATE\" ]; then echo $$ > '{fifo}'; sleep 300; fi\nexec '{script}' \"$@\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script + "-gated", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        File.WriteAllText(_repo.Cli.FilePath("plan.yaml"), File.ReadAllText(_repo.Cli.FilePath("plan.yaml")).Replace("program: ./fake-claude", "program: ./fake-claude-gated", StringComparison.Ordinal));

        using (var first = FanoutProcess.Start(_repo.Directory, "run", "plan.yaml", "--plain", "--out", "out"))
        {
            var agent = await AgentStartedAsync(fifo);
            await first.KillAsync();
            Assert.False(Alive(agent), "the agent outlived the killed run");
        }

        Assert.NotEmpty(_repo.ExtraWorktrees()); // the killed agent's, at least
        File.WriteAllText(gate, "");
        using var resumed = FanoutProcess.Start(_repo.Directory, "run", "plan.yaml", "--resume", "--plain", "--out", "out");
        var exit = await resumed.ExitAsync(TimeSpan.FromSeconds(120));

        Assert.True(exit.ExitCode == 0, exit.ToString());
        Assert.Empty(_repo.ExtraWorktrees());
        var report = RunReport.FromJson(File.ReadAllText(Path.Combine(_repo.Directory, "out", "run.json")));
        Assert.Equal([$"fanout/{report.RunId}/quick", $"fanout/{report.RunId}/slow"], _repo.FanoutBranches());
        Assert.Equal("finished\n", _repo.Git("show", $"fanout/{report.RunId}/slow:result.txt"));
    }

    [Fact]
    public async Task A_cancelled_run_leaves_no_agent_process_alive_in_proc()
    {
        var fifo = _repo.Fifo("started");
        var pids = Path.Combine(_repo.Directory, "pids");
        _repo.Cli.Plan($$"""
            name: cancelled
            {{AgentRepository.Workers}}
            tasks:
              - { id: stuck, worker: claude, workspace: worktree, prompt: "child {{pids}}\nsignal {{fifo}}\nblock" }
            """);
        using var cancel = new CancellationTokenSource();

        var run = _repo.Cli.RunAsync(["run", "plan.yaml", "--plain", "--out", "out", "--store", "memory"], null, cancel.Token);
        var agent = await AgentStartedAsync(fifo);
        cancel.Cancel();
        var result = await run;

        Assert.True(result.ExitCode == 130, result.ToString());
        var recorded = File.ReadAllText(pids).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToList();
        Assert.Contains(agent, recorded);
        Assert.All(recorded, pid => Assert.False(Alive(pid), $"process {pid} outlived the cancelled run"));
        var report = RunReport.FromJson(File.ReadAllText(Path.Combine(_repo.Directory, "out", "run.json")));
        Assert.Equal(TaskState.Cancelled, report.Tasks.Single().Status);
    }
}
