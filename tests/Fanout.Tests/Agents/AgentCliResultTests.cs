using Fanout.Cli;
using Fanout.Tests.Secrets;

namespace Fanout.Tests.Agents;

/// <summary>
/// Agent tasks run a stand-in for Claude Code (a real executable script printing what <c>claude -p --output-format
/// json</c> prints) through <c>fanout run</c>: the CLI's answer, usage and cost become the task's, and its failures say
/// which CLI said what, from both streams, with keys redacted.
/// </summary>
public sealed class AgentCliResultTests : IDisposable
{
    private const string Key = "sk-ant-LEAK-3e8b1f6c9a2d7e40";

    private readonly string _directory = Directory.CreateTempSubdirectory("fanout-agent-cli-").FullName;

    public AgentCliResultTests()
    {
        // What it prints depends on the prompt: the task picks the scenario.
        var script = Path.Combine(_directory, "fake-claude");
        File.WriteAllText(script, """
            #!/bin/sh
            prompt="$*"
            case "$prompt" in
              *succeed*) echo '{"type":"result","subtype":"success","is_error":false,"result":"{\"files\": 2}","total_cost_usd":0.0421,"usage":{"input_tokens":12,"cache_creation_input_tokens":300,"cache_read_input_tokens":1000,"output_tokens":250}}' ;;
              *apierror*) echo '{"type":"result","subtype":"success","is_error":true,"result":"API Error: 401 invalid x-api-key","total_cost_usd":0,"usage":{"input_tokens":0,"output_tokens":0}}'
                          echo "auth failed for key $ANTHROPIC_API_KEY" >&2
                          exit 1 ;;
              *) echo "Error: Invalid API key · Please run /login"; exit 0 ;;
            esac
            """.Replace("\r", "", StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task An_agent_cli_result_gives_the_task_its_answer_usage_and_cost_and_its_errors_name_the_cli_and_both_streams()
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "plan.yaml"), """
            name: agents
            workers:
              claude: [./fake-claude, -p, --output-format, json]
            defaults: { retry: { max_attempts: 1 } }
            tasks:
              - { id: ok, worker: claude, prompt: please succeed, output: json }
              - { id: refused, worker: claude, prompt: apierror }
              - { id: prose, worker: claude, prompt: anything, output: json }
            """);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var variables = new Dictionary<string, string>
        {
            ["PATH"] = Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
            ["ANTHROPIC_API_KEY"] = Key,
        };
        var env = new CliEnvironment
        {
            Out = stdout,
            Error = stderr,
            CurrentDirectory = _directory,
            Variables = variables,
            GetEnvironmentVariable = variables.GetValueOrDefault,
        };

        var code = await CliHost.RunAsync(["run", "plan.yaml", "--plain", "--out", "out"], env, CancellationToken.None);

        Assert.True(code == 1, $"exit {code}\n{stdout}\n{stderr}");
        var report = RunReport.FromJson(await File.ReadAllTextAsync(Path.Combine(_directory, "out", "run.json")));
        var ok = report.Tasks.Single(t => t.Id == "ok");
        Assert.Equal(TaskState.Succeeded, ok.Status);
        Assert.Equal(2, ok.Output!.Value.GetProperty("files").GetInt32());
        Assert.Equal((new TokenTotals(1312, 250), 0.0421m), (ok.Tokens, ok.CostUsd));
        Assert.Equal(
            "'fake-claude' exited with code 1 — stdout: API Error: 401 invalid x-api-key — stderr: auth failed for key [redacted:ANTHROPIC_API_KEY]",
            report.Tasks.Single(t => t.Id == "refused").Error);
        Assert.Equal("'fake-claude' answered with text, not JSON (output: json): Error: Invalid API key · Please run /login",
            report.Tasks.Single(t => t.Id == "prose").Error);
        Assert.Empty(SecretScan.Find(new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = Key }, [Path.Combine(_directory, "out"), Path.Combine(_directory, ".fanout")],
            new Dictionary<string, string> { ["stdout"] = stdout.ToString(), ["stderr"] = stderr.ToString() }));
    }
}
