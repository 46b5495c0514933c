using System.Text.Json;

namespace Fanout.Tests.Cli;

public sealed class RunCommandTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Successful_run_exits_0_and_writes_run_json_and_report_html()
    {
        var plan = _cli.Plan(Plans.Small);

        var result = await _cli.RunAsync("run", plan, "--out", "out");

        Assert.True(result.ExitCode == 0, result.ToString());
        var report = RunReport.FromJson(File.ReadAllText(_cli.FilePath("out/run.json")));
        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(["both", "hello", "summary"], report.Tasks.Select(t => t.Id).Order().ToArray());
        Assert.All(report.Tasks, t => Assert.Equal(TaskState.Succeeded, t.Status));
        Assert.Contains("<html", File.ReadAllText(_cli.FilePath("out/report.html")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Summary_and_file_paths_are_printed_after_the_run()
    {
        var plan = _cli.Plan(Plans.Small);

        var result = await _cli.RunAsync("run", plan, "--out", "out");

        Assert.Contains("makespan", result.Out);
        Assert.Contains("critical path", result.Out);
        Assert.Contains("efficiency", result.Out);
        Assert.Contains(Path.Combine("out", "run.json"), result.Out);
        Assert.Contains(Path.Combine("out", "report.html"), result.Out);
    }

    [Fact]
    public async Task Run_without_out_writes_under_dot_fanout_runs_in_the_current_directory()
    {
        var plan = _cli.Plan(Plans.Small);

        var result = await _cli.RunAsync("run", plan);

        Assert.True(result.ExitCode == 0, result.ToString());
        var runs = Directory.GetDirectories(_cli.FilePath(Path.Combine(".fanout", "runs")));
        var run = Assert.Single(runs);
        var report = RunReport.FromJson(File.ReadAllText(Path.Combine(run, "run.json")));
        Assert.Equal(Path.GetFileName(run), report.RunId);
    }

    [Fact]
    public async Task Plain_output_has_one_line_per_start_and_finish()
    {
        var plan = _cli.Plan(Plans.Small);

        var result = await _cli.RunAsync("run", plan, "--out", "out", "--plain");

        Assert.Matches(@"\[ *\d+\.\d\ds\] started hello", result.Out);
        Assert.Matches(@"\[ *\d+\.\d\ds\] succeeded hello ", result.Out);
        Assert.Matches(@"succeeded summary .* tok", result.Out);
    }

    [Fact]
    public async Task A_failed_task_makes_the_run_exit_1_and_its_dependent_is_skipped()
    {
        var plan = _cli.Plan(Plans.Failing);

        var result = await _cli.RunAsync("run", plan, "--out", "out");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("failed broken", result.Out);
        Assert.Contains("skipped after (dependency 'broken' failed)", result.Out);
        var report = RunReport.FromJson(File.ReadAllText(_cli.FilePath("out/run.json")));
        Assert.Equal(RunStatus.Failed, report.Status);
        Assert.Equal(TaskState.Succeeded, report.Tasks.Single(t => t.Id == "alone").Status);
    }

    [Fact]
    public async Task Unknown_input_exits_2_and_names_it()
    {
        var plan = _cli.Plan(Plans.Small);

        var result = await _cli.RunAsync("run", plan, "--input", "topik=x", "--out", "out");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("unknown input 'topik'", result.Error);
        Assert.False(Directory.Exists(_cli.FilePath("out")));
    }

    [Fact]
    public async Task Invalid_plan_exits_2_with_file_line_column_errors()
    {
        var plan = _cli.Plan("""
            name: bad
            tasks:
              - id: a
                needs: [nope]
                argv: [sh, -c, "true"]
            """);

        var result = await _cli.RunAsync("run", plan);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Matches(@"plan\.yaml:\d+:\d+: error: .*nope", result.Error);
    }

    [Fact]
    public async Task Json_prints_the_report_to_stdout_and_the_summary_to_stderr()
    {
        var plan = _cli.Plan(Plans.Small);

        var result = await _cli.RunAsync("run", plan, "--out", "out", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var report = RunReport.FromJson(result.Out);
        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(3, report.Tasks.Length);
        Assert.Contains("makespan", result.Error);
    }

    [Fact]
    public async Task Openai_provider_without_a_key_falls_back_to_the_simulator_and_says_so_before_the_run()
    {
        var plan = _cli.Plan("""
            name: keyless
            providers:
              openai:
                type: openai
                api_key: ${FANOUT_TEST_MISSING_KEY}
                model: gpt-4o-mini
                simulate:
                  models:
                    "*": { latency: 5ms, per_output_token: 0ms, output_tokens: [5, 10] }
            defaults:
              provider: openai
            tasks:
              - id: ask
                prompt: "Say hello"
            """);

        var result = await _cli.RunAsync("run", plan, "--out", "out", "--plain");

        Assert.True(result.ExitCode == 0, result.ToString());
        var notice = result.Out.IndexOf("note:", StringComparison.Ordinal);
        Assert.True(notice >= 0, result.ToString());
        Assert.Contains("simulat", result.Out[notice..], StringComparison.OrdinalIgnoreCase);
        Assert.True(notice < result.Out.IndexOf("started ask", StringComparison.Ordinal), "the notice comes before the run starts");
    }

    [Fact]
    public async Task Cancelling_exits_130_and_still_writes_a_cancelled_report()
    {
        var plan = _cli.Plan(Plans.Long);
        using var cancellation = new CancellationTokenSource();

        var result = await _cli.RunAsync(["run", plan, "--out", "out"], e =>
        {
            if (e is TaskStateChanged { TaskId: "long", State: TaskState.Running })
            {
                cancellation.Cancel();
            }
        }, cancellation.Token);

        Assert.True(result.ExitCode == 130, result.ToString());
        var report = RunReport.FromJson(File.ReadAllText(_cli.FilePath("out/run.json")));
        Assert.Equal(RunStatus.Cancelled, report.Status);
        Assert.Equal(TaskState.Cancelled, report.Tasks.Single(t => t.Id == "long").Status);
        Assert.Equal(TaskState.Cancelled, report.Tasks.Single(t => t.Id == "later").Status);
        Assert.True(File.Exists(_cli.FilePath("out/report.html")));
    }

    [Fact]
    public async Task Concurrency_below_one_is_a_usage_error()
    {
        var plan = _cli.Plan(Plans.Small);

        var result = await _cli.RunAsync("run", plan, "--concurrency", "0");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--concurrency must be an integer from 1 to", result.Error);
    }

    [Fact]
    public async Task Concurrency_option_sets_the_run_limit()
    {
        var plan = _cli.Plan(Plans.Small);

        var result = await _cli.RunAsync("run", plan, "--out", "out", "--concurrency", "3");

        using var json = JsonDocument.Parse(File.ReadAllText(_cli.FilePath("out/run.json")));
        Assert.Equal(3, json.RootElement.GetProperty("concurrency").GetInt32());
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Input_file_argument_is_read_as_inputs_not_as_a_response_file()
    {
        var plan = _cli.Plan("""
            name: echo
            inputs:
              topic: { type: string }
            tasks:
              - id: say
                argv: [echo, "{{inputs.topic}}"]
            """);
        File.WriteAllText(_cli.FilePath("inputs.json"), """{ "topic": "from a file" }""");

        var result = await _cli.RunAsync("run", plan, "--input", "@inputs.json", "--out", "out");

        Assert.True(result.ExitCode == 0, result.ToString());
        var report = RunReport.FromJson(File.ReadAllText(_cli.FilePath("out/run.json")));
        Assert.Equal("from a file", report.Tasks.Single().Output?.GetString());
    }

    [Fact]
    public async Task Fail_fast_cancels_independent_work_at_the_first_failure()
    {
        var plan = _cli.Plan("""
            name: failfast
            defaults:
              retry: { max_attempts: 1 }
            tasks:
              - id: broken
                argv: [sh, -c, "exit 3"]
              - id: slow
                argv: [sh, -c, "sleep 30"]
            """);

        var result = await _cli.RunAsync("run", plan, "--out", "out", "--fail-fast");

        Assert.True(result.ExitCode == 1, result.ToString());
        var report = RunReport.FromJson(File.ReadAllText(_cli.FilePath("out/run.json")));
        Assert.Equal(TaskState.Failed, report.Tasks.Single(t => t.Id == "broken").Status);
        Assert.Equal(TaskState.Cancelled, report.Tasks.Single(t => t.Id == "slow").Status);
    }

    [Fact]
    public async Task Out_path_that_is_a_file_exits_2()
    {
        var plan = _cli.Plan(Plans.Small);
        File.WriteAllText(_cli.FilePath("taken"), "");

        var result = await _cli.RunAsync("run", plan, "--out", "taken");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("cannot create the run directory", result.Error);
    }

    [Fact]
    public async Task On_a_terminal_the_live_view_replaces_plain_lines_and_failures_stay_listed()
    {
        var plan = _cli.Plan(Plans.Failing);
        _cli.Terminal = true;

        var result = await _cli.RunAsync("run", plan, "--out", "out");

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.DoesNotContain("] started ", result.Out);
        Assert.Contains("settled", result.Out);
        Assert.Contains("failed broken: ", result.Out);
        Assert.Contains("skipped after: dependency 'broken' failed", result.Out);
        Assert.Contains("makespan", result.Out);
    }
}
