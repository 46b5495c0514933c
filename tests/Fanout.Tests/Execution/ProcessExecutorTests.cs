using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json;
using Fanout.Tests.Support;

namespace Fanout.Tests.Execution;

/// <summary>Real child processes on the real clock: argv without a shell, stdin, env, cwd, output, exit codes, timeouts.</summary>
public sealed class ProcessExecutorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fanout-process-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static TaskDefinition Process(string id, ProcessBody body) => new() { Id = id, Body = body, Retry = RetryPolicy.None };

    private static PlanDefinition Plan(TaskDefinition task, string baseDirectory, params string[] inputs) => new PlanBuilder("process")
        .Configure(p => p with { BaseDirectory = baseDirectory, Inputs = [.. inputs.Select(i => new InputDefinition { Name = i })] })
        .Add(task)
        .Build();

    private static JsonElement Inputs(object value) => JsonSerializer.SerializeToElement(value);

    [Fact]
    public async Task Argv_elements_arrive_literally_without_a_shell()
    {
        var body = new ProcessBody { Argv = ["printf", "%s|", "{{inputs.evil}}", "$(echo hi)", "a b", "`id`"] };

        var report = await Sim.RunRealAsync(Plan(Process("p", body), _dir, "evil"), Inputs(new { evil = "x; rm -rf x" }));

        Assert.Equal(TaskState.Succeeded, report.Row("p").Status);
        Assert.Equal("x; rm -rf x|$(echo hi)|a b|`id`|", report.Row("p").Output!.Value.GetString());
    }

    [Fact]
    public async Task Stdin_is_rendered_and_written_to_the_process()
    {
        var body = new ProcessBody { Argv = ["cat"], Stdin = "hello {{inputs.name}}\nsecond line" };

        var report = await Sim.RunRealAsync(Plan(Process("p", body), _dir, "name"), Inputs(new { name = "world" }));

        Assert.Equal("hello world\nsecond line", report.Row("p").Output!.Value.GetString());
    }

    [Fact]
    public async Task Stdin_given_to_a_process_that_does_not_read_it_is_not_an_error()
    {
        // 1 MiB does not fit in a pipe buffer: the write fails with EPIPE once `true` has exited.
        var body = new ProcessBody { Argv = ["true"], Stdin = new string('x', 1 << 20) };

        var report = await Sim.RunRealAsync(Plan(Process("p", body), _dir));

        Assert.Equal(TaskState.Succeeded, report.Row("p").Status);
    }

    [Fact]
    public async Task Stdin_template_that_does_not_render_fails_without_starting_or_retrying()
    {
        var body = new ProcessBody { Argv = ["cat"], Stdin = "{{inputs.cfg.missing}}" };
        var task = Process("p", body) with { Retry = new RetryPolicy { MaxAttempts = 3, BaseDelay = TimeSpan.Zero } };

        var report = await Sim.RunRealAsync(Plan(task, _dir, "cfg"), Inputs(new { cfg = new { } }));

        Assert.Equal(TaskState.Failed, report.Row("p").Status);
        Assert.Equal(1, report.Row("p").Attempts);
        Assert.Equal("'inputs.cfg.missing' is undefined: 'inputs.cfg' has no 'missing'", report.Row("p").Error);
    }

    [Fact]
    public async Task Env_values_are_rendered_and_task_identity_is_exported()
    {
        var body = new ProcessBody
        {
            Argv = ["sh", "-c", "printf '%s/%s/%s' \"$GREETING\" \"$FANOUT_TASK_ID\" \"$FANOUT_ATTEMPT\""],
            Env = ImmutableDictionary<string, string>.Empty.Add("GREETING", "hi {{inputs.name}}"),
        };

        var report = await Sim.RunRealAsync(Plan(Process("p", body), _dir, "name"), Inputs(new { name = "ada" }));

        Assert.Equal("hi ada/p/1", report.Row("p").Output!.Value.GetString());
    }

    [Fact]
    public async Task Working_directory_resolves_against_the_plan_directory()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "sub"));
        var body = new ProcessBody { Argv = ["pwd"], WorkingDirectory = "sub" };

        var report = await Sim.RunRealAsync(Plan(Process("p", body), _dir));

        Assert.Equal(Path.Combine(_dir, "sub"), report.Row("p").Output!.Value.GetString());
    }

    [Fact]
    public async Task Json_output_is_parsed()
    {
        var body = new ProcessBody { Argv = ["printf", """{"n": 3, "list": [1, 2]}"""], Output = OutputFormat.Json };

        var report = await Sim.RunRealAsync(Plan(Process("p", body), _dir));

        var output = report.Row("p").Output!.Value;
        Assert.Equal(3, output.GetProperty("n").GetInt32());
        Assert.Equal(2, output.GetProperty("list").GetArrayLength());
        Assert.Equal(0, report.Row("p").Details!.Value.GetProperty("exit_code").GetInt32());
    }

    [Fact]
    public async Task Invalid_json_output_fails_without_retrying()
    {
        var body = new ProcessBody { Argv = ["printf", "not json"], Output = OutputFormat.Json };
        var task = Process("p", body) with { Retry = new RetryPolicy { MaxAttempts = 3, BaseDelay = TimeSpan.Zero } };

        var report = await Sim.RunRealAsync(Plan(task, _dir));

        Assert.Equal(TaskState.Failed, report.Row("p").Status);
        Assert.Equal(1, report.Row("p").Attempts);
        Assert.StartsWith("stdout is not valid JSON (output: json)", report.Row("p").Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_zero_exit_fails_with_the_exit_code_and_stderr_tail()
    {
        var body = new ProcessBody { Argv = ["sh", "-c", "echo partial; echo 'first\nlast words' >&2; exit 3"] };

        var report = await Sim.RunRealAsync(Plan(Process("p", body), _dir));

        Assert.Equal(TaskState.Failed, report.Row("p").Status);
        Assert.Equal("'sh' exited with code 3: first\nlast words", report.Row("p").Error);
        Assert.Equal(RunStatus.Failed, report.Status);
    }

    [Fact]
    public async Task Long_stderr_is_cut_to_its_tail()
    {
        var body = new ProcessBody { Argv = ["sh", "-c", "i=0; while [ $i -lt 2000 ]; do echo \"line $i\" >&2; i=$((i+1)); done; exit 1"] };

        var report = await Sim.RunRealAsync(Plan(Process("p", body), _dir));

        var error = report.Row("p").Error!;
        Assert.EndsWith("line 1999", error, StringComparison.Ordinal);
        Assert.DoesNotContain("line 0\n", error, StringComparison.Ordinal);
        Assert.True(error.Length < 4200, $"error is {error.Length} chars");
    }

    [Fact]
    public async Task Missing_program_fails_without_retrying()
    {
        var body = new ProcessBody { Argv = ["/nonexistent/fanout-no-such-program"] };
        var task = Process("p", body) with { Retry = new RetryPolicy { MaxAttempts = 3, BaseDelay = TimeSpan.Zero } };

        var report = await Sim.RunRealAsync(Plan(task, _dir));

        Assert.Equal(1, report.Row("p").Attempts);
        Assert.StartsWith("cannot start '/nonexistent/fanout-no-such-program'", report.Row("p").Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shell_mode_passes_templated_values_as_positional_parameters()
    {
        var marker = Path.Combine(_dir, "pwned");
        var body = new ProcessBody
        {
            Shell = true,
            Argv = ["printf '%s+%s' \"$1\" \"$2\"", "{{inputs.evil}}", "two words"],
        };

        var report = await Sim.RunRealAsync(Plan(Process("p", body), _dir, "evil"), Inputs(new { evil = $"$(touch {marker}); `touch {marker}`" }));

        Assert.Equal($"$(touch {marker}); `touch {marker}`+two words", report.Row("p").Output!.Value.GetString());
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task Timed_out_process_leaves_no_orphan_behind()
    {
        var body = new ProcessBody
        {
            Shell = true,
            Argv = ["echo $$ > \"$1/sh.pid\"; sleep 300 & echo $! > \"$1/sleep.pid\"; wait", _dir],
        };
        var task = Process("p", body) with { Timeout = TimeSpan.FromMilliseconds(500) };
        var clock = Stopwatch.StartNew();

        var report = await Sim.RunRealAsync(Plan(task, _dir));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"run took {clock.Elapsed}");
        Assert.Equal(TaskState.Failed, report.Row("p").Status);
        Assert.Equal([AttemptOutcome.TimedOut], report.Row("p").AttemptLog.Select(a => a.Outcome));
        Assert.Equal("timed out after 500ms", report.Row("p").Error);
        foreach (var file in new[] { "sh.pid", "sleep.pid" })
        {
            var pid = int.Parse(File.ReadAllText(Path.Combine(_dir, file)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            // SIGKILL has been sent; the kernel finishes the job asynchronously, so allow it a moment.
            Assert.True(SpinWait.SpinUntil(() => IsGoneOrZombie(pid), TimeSpan.FromSeconds(5)), $"{file}: process {pid} is still alive");
        }
    }

    [Fact]
    public async Task A_background_child_left_holding_stdout_is_killed_when_its_process_exits()
    {
        // sh exits at once, but the backgrounded sleep inherits stdout: reading to EOF would wait for it.
        var body = new ProcessBody { Shell = true, Argv = ["sleep 300 & echo $! > \"$1/bg.pid\"; echo started", _dir] };
        var task = Process("p", body) with { Timeout = TimeSpan.FromSeconds(60) };
        var clock = Stopwatch.StartNew();

        var report = await Sim.RunRealAsync(Plan(task, _dir));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"run took {clock.Elapsed}");
        Assert.Equal(TaskState.Succeeded, report.Row("p").Status);
        Assert.Equal("started", report.Row("p").Output!.Value.GetString());
        var pid = int.Parse(File.ReadAllText(Path.Combine(_dir, "bg.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(SpinWait.SpinUntil(() => IsGoneOrZombie(pid), TimeSpan.FromSeconds(5)), $"background child {pid} is still alive");
    }

    /// <summary>True when /proc has no live process <paramref name="pid"/> (absent, or a zombie awaiting its reaper).</summary>
    private static bool IsGoneOrZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Format: "pid (comm) S ...": the state follows the last ')'.
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return true;
        }
    }
}
