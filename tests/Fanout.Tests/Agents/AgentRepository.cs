using System.Diagnostics;
using Fanout.Tests.Cli;

namespace Fanout.Tests.Agents;

/// <summary>
/// A throwaway git repository (real <c>git</c>, one commit) holding a plan, with a fake Claude Code — a real
/// executable that speaks <c>claude -p PROMPT --output-format json</c> and does what its prompt's lines say:
/// <c>write PATH TEXT</c>, <c>append PATH TEXT</c>, <c>child PIDFILE</c> (start <c>sleep 300</c> and record its pid),
/// <c>signal FIFO</c> (write its pid to a named pipe the test reads), <c>block</c>, <c>fail MESSAGE</c>, <c>cost USD</c>.
/// </summary>
internal sealed class AgentRepository : IDisposable
{
    private const string FakeClaude = """
        #!/usr/bin/env python3
        import json, os, subprocess, sys, time
        prompt = sys.argv[sys.argv.index("-p") + 1]
        cost = 0.01
        for line in prompt.splitlines():
            verb, _, rest = line.strip().partition(" ")
            if verb in ("write", "append"):
                path, _, text = rest.partition(" ")
                os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
                with open(path, "a" if verb == "append" else "w") as f:
                    f.write(text.replace("\\n", "\n") + "\n")
            elif verb == "child":
                child = subprocess.Popen(["sleep", "300"])
                with open(rest, "w") as f:
                    f.write(f"{os.getpid()} {child.pid}\n")
            elif verb == "signal":
                with open(rest, "w") as f:
                    f.write(f"{os.getpid()}\n")
            elif verb == "block":
                time.sleep(300)
            elif verb == "cost":
                cost = float(rest)
            elif verb == "fail":
                print(json.dumps({"type": "result", "subtype": "error_during_execution", "is_error": True, "result": rest, "session_id": "s-fail"}))
                sys.exit(1)
        print(json.dumps({"type": "result", "subtype": "success", "is_error": False, "result": "done in " + os.path.basename(os.getcwd()),
                          "session_id": "s-" + os.environ.get("FANOUT_TASK_ID", "?"), "total_cost_usd": cost,
                          "usage": {"input_tokens": 100, "cache_read_input_tokens": 50, "output_tokens": 20}}))
        """;

    public AgentRepository()
    {
        Cli.Environment["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin";
        Cli.Environment["HOME"] = Cli.Directory;
        var script = Path.Combine(Cli.Directory, "fake-claude");
        File.WriteAllText(script, FakeClaude.Replace("\r", "", StringComparison.Ordinal) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        File.WriteAllText(Path.Combine(Cli.Directory, "shared.txt"), "one\ntwo\nthree\n");
        Git("init", "--quiet", "--initial-branch=main");
        Git("add", "--all");
        Git("commit", "--quiet", "-m", "initial");
    }

    public CliHarness Cli { get; } = new();

    public string Directory => Cli.Directory;

    /// <summary>The workers block every test plan starts with: the fake CLI under the claude preset.</summary>
    public const string Workers = "workers: { claude: { preset: claude, program: ./fake-claude } }";

    /// <summary>Runs git in the repository; its stdout (a failure fails the test).</summary>
    public string Git(params string[] arguments)
    {
        var start = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Directory };
        foreach (var argument in (string[])["-c", "user.name=test", "-c", "user.email=test@localhost", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"git {string.Join(' ', arguments)}: {stderr}");
        return stdout;
    }

    /// <summary>Branches under <c>fanout/</c>.</summary>
    public IReadOnlyList<string> FanoutBranches() =>
        [.. Git("branch", "--list", "fanout/*", "--format=%(refname:short)").Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal)];

    /// <summary>Paths of every worktree but the main one.</summary>
    public IReadOnlyList<string> ExtraWorktrees() =>
        [.. Git("worktree", "list", "--porcelain").Split('\n').Where(l => l.StartsWith("worktree ", StringComparison.Ordinal))
            .Select(l => l["worktree ".Length..]).Where(p => Path.GetFullPath(p) != Path.GetFullPath(Directory))];

    /// <summary>The files of a commit's tree.</summary>
    public IReadOnlyList<string> Files(string revision) =>
        [.. Git("ls-tree", "-r", "--name-only", revision).Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    /// <summary>A named pipe the fake CLI's <c>signal</c> writes its pid to: reading it waits until the agent runs.</summary>
    public string Fifo(string name)
    {
        var path = Path.Combine(Path.GetTempPath(), $"fanout-agent-{Guid.NewGuid():N}-{name}");
        using var mkfifo = Process.Start("mkfifo", [path]);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    public void Dispose()
    {
        foreach (var worktree in ExtraWorktrees())
        {
            Git("worktree", "remove", "--force", "--force", worktree);
        }

        Cli.Dispose();
    }
}
