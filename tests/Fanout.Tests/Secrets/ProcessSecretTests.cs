using System.Diagnostics;
using System.Globalization;
using Fanout.Cli;
using Fanout.Plans;
using Fanout.Tests.Cli;

namespace Fanout.Tests.Secrets;

/// <summary>
/// Issue 11's secrets and process items through the real CLI: real child processes, the real SQLite journal file, the
/// bytes of every file the run leaves scanned for each secret value.
/// </summary>
public sealed class ProcessSecretTests : IDisposable
{
    private const string ProviderKey = "sk-leak-PROVIDER-4b9e2c7a1d5f";
    private const string ServiceToken = "tok-leak-SERVICE-8c3f1a6e2b90";

    private readonly string _directory = Directory.CreateTempSubdirectory("fanout-process-secrets-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Dictionary<string, string> Environment => new()
    {
        ["PATH"] = System.Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin",
        ["HOME"] = _directory,
        ["LEAK_OPENAI_API_KEY"] = ProviderKey,
        ["SERVICE_TOKEN"] = ServiceToken,
        ["UNRELATED_SETTING"] = "visible-to-inheriting-tasks-only",
    };

    private static readonly Dictionary<string, string> Secrets = new()
    {
        ["LEAK_OPENAI_API_KEY"] = ProviderKey,
        ["SERVICE_TOKEN"] = ServiceToken,
    };

    [Fact]
    public async Task A_process_printing_its_environment_or_failing_with_a_key_leaves_only_aliases_in_every_record()
    {
        // The plan's own text holds the token too (pasted into env): the journal must not keep it.
        await File.WriteAllTextAsync(Path.Combine(_directory, "plan.yaml"), $$"""
            name: leaks
            providers:
              llm: { type: openai, api_key_env: LEAK_OPENAI_API_KEY, base_url: "http://127.0.0.1:9/v1", model: gpt-4o-mini }
            tasks:
              - { id: everything, argv: [env], inherit_env: true }
              - { id: minimal, argv: [env] }
              - { id: pasted, argv: [printenv, PASTED], env: { PASTED: "{{ServiceToken}}" } }
              - id: refused
                argv: [sh, -c, 'echo "401: key $LEAK_OPENAI_API_KEY was rejected"; echo "token $SERVICE_TOKEN rejected" >&2; exit 3']
                inherit_env: [LEAK_OPENAI_API_KEY, SERVICE_TOKEN]
                retry: { max_attempts: 1 }
            """);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var events = new List<RunEvent>();
        var variables = Environment;
        var env = new CliEnvironment
        {
            Out = stdout,
            Error = stderr,
            CurrentDirectory = _directory,
            Variables = variables,
            GetEnvironmentVariable = variables.GetValueOrDefault,
            OnEvent = e =>
            {
                lock (events)
                {
                    events.Add(e);
                }
            },
        };

        var plain = await CliHost.RunAsync(["run", "plan.yaml", "--plain", "--out", "out"], env, CancellationToken.None);
        var json = await CliHost.RunAsync(["run", "plan.yaml", "--json", "--no-cache"], env, CancellationToken.None);

        Assert.True(plain == 1, $"exit {plain}\n{stdout}\n{stderr}");
        Assert.Equal(1, json);
        var report = RunReport.FromJson(await File.ReadAllTextAsync(Path.Combine(_directory, "out", "run.json")));
        var everything = report.Tasks.Single(t => t.Id == "everything").Output!.Value.GetString()!;
        Assert.Contains("LEAK_OPENAI_API_KEY=[redacted:LEAK_OPENAI_API_KEY]", everything, StringComparison.Ordinal);
        Assert.Contains("UNRELATED_SETTING=visible-to-inheriting-tasks-only", everything, StringComparison.Ordinal);
        // Without inherit_env only the minimal set (and what the task declares) reaches the process.
        var minimal = report.Tasks.Single(t => t.Id == "minimal").Output!.Value.GetString()!.Split('\n').Select(l => l.Split('=')[0]).Order().ToList();
        Assert.Equal(["FANOUT_ATTEMPT", "FANOUT_TASK_ID", "HOME", "PATH"], minimal);
        Assert.Equal("[redacted:SERVICE_TOKEN]", report.Tasks.Single(t => t.Id == "pasted").Output!.Value.GetString());
        Assert.Equal("'sh' exited with code 3: token [redacted:SERVICE_TOKEN] rejected", report.Tasks.Single(t => t.Id == "refused").Error);

        var files = SecretScan.Files([Path.Combine(_directory, "out"), Path.Combine(_directory, ".fanout")]);
        Assert.Contains(files, f => f.EndsWith(Path.Combine("out", "report.html"), StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(Path.Combine(".fanout", "fanout.db"), StringComparison.Ordinal));
        var texts = new Dictionary<string, string>
        {
            ["stdout"] = stdout.ToString(),
            ["stderr"] = stderr.ToString(),
            ["events"] = string.Join("\n", events.Select(e => e.ToString())),
        };
        Assert.Empty(SecretScan.Find(Secrets, [Path.Combine(_directory, "out"), Path.Combine(_directory, ".fanout")], texts));
    }

    [Fact]
    public void An_inline_api_key_in_a_plan_is_refused_at_its_line_pointing_to_api_key_env()
    {
        var e = Assert.Throws<PlanException>(() => PlanLoader.Parse("""
            name: inline
            providers:
              llm: { type: openai, api_key: sk-live-1234567890abcdef }
              pool:
                type: openai
                keys:
                  - { alias: a, api_key: "${KEY_A}" }
                  - { alias: b, api_key: "sk-live-abcdef1234567890" }
            tasks:
              - { id: a, prompt: hi, provider: llm }
            """, "plan.yaml", _directory));

        Assert.Equal(
            [
                (3, 33, "provider 'llm': 'api_key' holds a key written into the plan"),
                (8, 30, "provider 'pool': 'keys[1].api_key' holds a key written into the plan"),
            ],
            e.Diagnostics.Select(d => (d.Location!.Line, d.Location.Column, d.Message[..d.Message.IndexOf(',', StringComparison.Ordinal)])));
        Assert.All(e.Diagnostics, d => Assert.Contains("api_key_env: OPENAI_API_KEY", d.Message, StringComparison.Ordinal));
        Assert.All(e.Diagnostics, d => Assert.DoesNotContain("sk-live", d.Message, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("[sh, -c, 'echo {{inputs.x}}']", 2, "'sh -c'")]
    [InlineData("[/bin/bash, -euo, pipefail, -c, 'grep {{inputs.x}} f']", 4, "'bash -c'")]
    [InlineData("[zsh, -ec, 'echo {{inputs.x}}']", 2, "'zsh -c'")]
    [InlineData("[/usr/bin/env, LC_ALL=C, dash, -c, 'echo {{inputs.x}}']", 4, "'dash -c'")]
    public void A_template_in_a_shell_dash_c_script_is_refused_as_shell_injection(string argv, int script, string shell)
    {
        var e = Assert.Throws<PlanException>(() => PlanLoader.Parse($$"""
            name: injection
            inputs: { x: { type: string } }
            tasks:
              - id: p
                argv: {{argv}}
            """, "plan.yaml", _directory));

        var d = Assert.Single(e.Diagnostics);
        Assert.Equal($"task 'p': argv[{script}] is run by {shell} as shell text: it is a fixed script and must not contain templates", d.Message[..d.Message.IndexOf(" ({{", StringComparison.Ordinal)]);
        Assert.Contains("shell injection", d.Message, StringComparison.Ordinal);
        Assert.Equal(5, d.Location!.Line);
    }

    [Fact]
    public void A_shell_script_that_reads_templated_values_as_arguments_is_accepted()
    {
        var plan = PlanLoader.Parse("""
            name: safe
            inputs: { x: { type: string } }
            tasks:
              - { id: p, argv: [sh, -c, 'echo "$1"', sh, "{{inputs.x}}"] }
              - { id: q, argv: [printf, '%s -c', "{{inputs.x}}"] }
            """, "plan.yaml", _directory);

        Assert.Equal(2, plan.Tasks.Length);
    }

    [Fact]
    public async Task A_run_interrupted_with_sigint_kills_every_process_of_its_tasks_and_reports_them_cancelled()
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "plan.yaml"), """
            name: interrupted
            tasks:
              - id: busy
                timeout: 10m
                argv: [sh, -c, 'echo $$ > sh.pid; sleep 300 & echo $! > bg.pid; echo ready; wait']
              - { id: after, needs: [busy], argv: [echo, never] }
            """);
        using var fanout = FanoutProcess.Start(_directory, "run", "plan.yaml", "--plain", "--out", "out");
        // The plain log prints the task's start; the pid files are written right after, by the task itself.
        await fanout.LineAsync(l => l.Contains("started busy", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        var pids = await PidsAsync("sh.pid", "bg.pid");
        // The task leads a session of its own, and its background child is in it: what the kill must empty.
        Assert.Equal(pids.Values.Order(), Fanout.Execution.ProcessSession.Members(pids["sh.pid"]).Order());

        using (var interrupt = Process.Start("kill", ["-INT", fanout.Id.ToString(CultureInfo.InvariantCulture)])!)
        {
            await interrupt.WaitForExitAsync();
        }

        var exit = await fanout.ExitAsync(TimeSpan.FromSeconds(60));
        Assert.True(exit.ExitCode == 130, exit.ToString());
        foreach (var (file, pid) in pids)
        {
            Assert.True(IsGone(pid), $"{file}: process {pid} survived the run");
        }

        Assert.Empty(Fanout.Execution.ProcessSession.Members(pids["sh.pid"]));
        var report = RunReport.FromJson(await File.ReadAllTextAsync(Path.Combine(_directory, "out", "run.json")));
        var busy = report.Tasks.Single(t => t.Id == "busy");
        Assert.Equal((TaskState.Cancelled, AttemptOutcome.Cancelled), (busy.Status, busy.AttemptLog.Single().Outcome));
        Assert.DoesNotContain("timed out", busy.Error ?? "", StringComparison.Ordinal);
        Assert.Equal(TaskState.Cancelled, report.Tasks.Single(t => t.Id == "after").Status);
    }

    /// <summary>The pids the task wrote, once it has written them (it does so right after it starts).</summary>
    private async Task<Dictionary<string, int>> PidsAsync(params string[] files)
    {
        var pids = new Dictionary<string, int>();
        var deadline = Stopwatch.StartNew();
        foreach (var file in files)
        {
            var path = Path.Combine(_directory, file);
            string text;
            while ((text = File.Exists(path) ? await File.ReadAllTextAsync(path) : "").Trim().Length == 0)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"{file} was never written");
                await Task.Yield();
            }

            pids[file] = int.Parse(text.Trim(), CultureInfo.InvariantCulture);
        }

        return pids;
    }

    /// <summary>No live process <paramref name="pid"/> in /proc (absent, or a zombie awaiting its reaper).</summary>
    private static bool IsGone(int pid) => SpinWait.SpinUntil(() =>
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }, TimeSpan.FromSeconds(5));
}
