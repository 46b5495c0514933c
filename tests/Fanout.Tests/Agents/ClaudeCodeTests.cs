using System.Net;
using System.Net.Http.Json;
using Fanout.Cli;
using Fanout.Simulator;
using Fanout.Tests.Simulator;

namespace Fanout.Tests.Agents;

/// <summary>
/// The real Claude Code CLI (npm <c>@anthropic-ai/claude-code</c>, installed by ./test.sh, path in
/// <c>FANOUT_TEST_CLAUDE</c>) runs an <c>agent</c> task with the <c>claude</c> preset against the simulator over HTTP.
/// </summary>
public sealed class ClaudeCodeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fanout-claude-code-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [ClaudeCodeFact]
    public async Task Claude_code_writes_the_scripted_file_and_its_answer_tokens_and_cost_become_the_tasks()
    {
        await using var server = await SimulatorFixture.Start();
        var cli = Path.GetFullPath(ClaudeCode.Executable!);
        var home = Directory.CreateDirectory(Path.Combine(_directory, "home")).FullName;
        // -p denies file edits unless the permission mode allows them; the preset carries no flag for it, so the
        // user settings of this throwaway HOME do (--dangerously-skip-permissions is refused as root).
        Directory.CreateDirectory(Path.Combine(home, ".claude"));
        await File.WriteAllTextAsync(Path.Combine(home, ".claude", "settings.json"), """{"permissions":{"defaultMode":"acceptEdits"}}""");
        var work = Directory.CreateDirectory(Path.Combine(_directory, "work")).FullName;
        await File.WriteAllTextAsync(Path.Combine(work, "plan.yaml"), """
            name: claude-code
            defaults: { retry: { max_attempts: 1 }, timeout: 60s }
            tasks:
              - id: write
                worker: claude
                prompt: |
                  Write the greeting file.
                  sim-script: [[{"tool":"Write","arguments":{"file_path":"notes/hello.txt","content":"hello from the simulator\n"}}], "Wrote notes/hello.txt."]
            """);
        var (code, stdout, stderr) = await RunAsync(server, cli, home, work);

        var report = RunReport.FromJson(await File.ReadAllTextAsync(Path.Combine(work, "out", "run.json")));
        var task = report.Tasks.Single();
        Assert.True(code == 0 && task.Status == TaskState.Succeeded, $"exit {code}: {task.Error}\n{stdout}\n{stderr}");
        Assert.Equal("hello from the simulator\n", await File.ReadAllTextAsync(Path.Combine(work, "notes", "hello.txt")));
        Assert.Equal("Wrote notes/hello.txt.", task.Output!.Value.GetString());
        // Claude Code's JSON result: two turns, each billed for its ~30 KB of tool definitions, so thousands of input tokens.
        Assert.True(task.Tokens is { Input: > 1000, Output: > 0 }, $"tokens {task.Tokens}");
        Assert.True(task.CostUsd > 0, $"cost {task.CostUsd}");
    }

    [ClaudeCodeFact]
    public async Task Claude_code_in_a_worktree_with_the_plans_permission_mode_commits_its_file_on_the_tasks_branch()
    {
        await using var server = await SimulatorFixture.Start();
        var cli = Path.GetFullPath(ClaudeCode.Executable!);
        // No settings file: the plan's permission_mode (--permission-mode acceptEdits) is what lets it write.
        var home = Directory.CreateDirectory(Path.Combine(_directory, "home")).FullName;
        using var repo = new AgentRepository();
        await File.WriteAllTextAsync(Path.Combine(repo.Directory, "plan.yaml"), """
            name: claude-code-worktree
            defaults: { retry: { max_attempts: 1 }, timeout: 60s }
            tasks:
              - id: write
                worker: claude
                workspace: worktree
                permission_mode: acceptEdits
                prompt: |
                  Write the greeting file.
                  sim-script: [[{"tool":"Write","arguments":{"file_path":"notes/hello.txt","content":"hello from a worktree\n"}}], "Wrote notes/hello.txt."]
            """);

        var (code, stdout, stderr) = await RunAsync(server, cli, home, repo.Directory);

        var task = RunReport.FromJson(await File.ReadAllTextAsync(Path.Combine(repo.Directory, "out", "run.json"))).Tasks.Single();
        Assert.True(code == 0 && task.Status == TaskState.Succeeded, $"exit {code}: {task.Error}\n{stdout}\n{stderr}");
        var branch = task.Output!.Value.GetProperty("branch").GetString()!;
        Assert.True(task.Output.Value.GetProperty("diff_stat").GetProperty("files_changed").GetInt32() == 1, task.Output.Value.GetRawText());
        Assert.Equal("hello from a worktree\n", repo.Git("show", $"{branch}:notes/hello.txt"));
        Assert.False(File.Exists(Path.Combine(repo.Directory, "notes", "hello.txt")), "the agent wrote into the user's working tree");
        Assert.Empty(repo.ExtraWorktrees());
    }

    /// <summary>Runs <c>fanout run plan.yaml</c> in <paramref name="work"/> with Claude Code pointed at the simulator.</summary>
    private static async Task<(int Code, StringWriter Stdout, StringWriter Stderr)> RunAsync(SimulatorServer server, string cli, string home, string work)
    {
        var variables = new Dictionary<string, string>
        {
            // The preset runs `claude` from PATH: the installed CLI's folder first.
            ["PATH"] = Path.GetDirectoryName(cli) + Path.PathSeparator + (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin"),
            ["HOME"] = home,
            ["ANTHROPIC_BASE_URL"] = server.Address.ToString().TrimEnd('/'),
            ["ANTHROPIC_API_KEY"] = SimulatorFixture.Key,
            ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
            ["DISABLE_AUTOUPDATER"] = "1",
            ["DISABLE_TELEMETRY"] = "1",
            ["DISABLE_ERROR_REPORTING"] = "1",
        };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var env = new CliEnvironment
        {
            Out = stdout,
            Error = stderr,
            CurrentDirectory = work,
            Variables = variables,
            GetEnvironmentVariable = variables.GetValueOrDefault,
        };
        var code = await CliHost.RunAsync(["run", "plan.yaml", "--plain", "--out", "out", "--store", "memory"], env, CancellationToken.None);
        return (code, stdout, stderr);
    }

    [Fact]
    public async Task System_turns_in_messages_are_served_with_the_per_turn_control_beta_and_refused_without_it()
    {
        await using var server = await SimulatorFixture.Start();
        using var http = new HttpClient { BaseAddress = server.Address };
        async Task<HttpStatusCode> Send(string? beta)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/messages?beta=true")
            {
                Content = JsonContent.Create(new
                {
                    model = "claude-sonnet-4-5",
                    max_tokens = 64,
                    messages = new object[]
                    {
                        new { role = "user", content = "hi" },
                        new { role = "system", content = new[] { new { type = "text", text = "Working directory: /tmp" } } },
                    },
                }),
            };
            request.Headers.Add("x-api-key", SimulatorFixture.Key);
            request.Headers.Add("anthropic-version", "2023-06-01");
            if (beta is not null)
            {
                request.Headers.Add("anthropic-beta", beta);
            }

            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await Send("claude-code-20250219,per-turn-control-2026-07-01"));
        Assert.Equal(HttpStatusCode.BadRequest, await Send("claude-code-20250219"));
        Assert.Equal(HttpStatusCode.BadRequest, await Send(null));
    }
}

/// <summary>Where the Claude Code test finds the CLI: <c>FANOUT_TEST_CLAUDE</c>, the path of its <c>claude</c> executable.</summary>
internal static class ClaudeCode
{
    public const string Variable = "FANOUT_TEST_CLAUDE";

    public static string? Executable => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value ? value : null;

    /// <summary>Why the test cannot run here, or null when it can.</summary>
    public static string? SkipReason => Executable switch
    {
        null => $"{Variable} is not set: Claude Code is not installed (./test.sh installs @anthropic-ai/claude-code from npm and sets it; npm may be missing or unreachable)",
        var path when !File.Exists(path) => $"{Variable} names '{path}', which does not exist",
        _ => null,
    };
}

/// <summary>A test that needs the real Claude Code CLI: skipped, with the reason, when it is not installed.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ClaudeCodeFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the CLI is not there.</summary>
    public ClaudeCodeFactAttribute()
    {
        if (ClaudeCode.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
