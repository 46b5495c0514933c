namespace Fanout.Tests.Cli;

/// <summary>
/// Issue 11 item 6: a number out of range, or not a number, in an option or a plan field is refused with exit 2 and one
/// line naming the option or the plan location, never an exception.
/// </summary>
public sealed class NumberRangeTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("run", "--concurrency", "abc", "--concurrency must be an integer from 1 to 100000, got 'abc'")]
    [InlineData("run", "--concurrency", "2147483648", "--concurrency must be an integer from 1 to 100000, got '2147483648'")]
    [InlineData("run", "--concurrency", "0", "--concurrency must be an integer from 1 to 100000, got '0'")]
    [InlineData("run", "--budget-usd", "abc", "--budget-usd must be a number from 0 to 1000000000, got 'abc'")]
    [InlineData("run", "--budget-usd", "1e309", "--budget-usd must be a number from 0 to 1000000000, got '1e309'")]
    [InlineData("run", "--budget-usd", "-1", "--budget-usd must be a number from 0 to 1000000000, got '-1'")]
    [InlineData("run", "--seed", "1.5", "--seed must be an integer from -2147483648 to 2147483647, got '1.5'")]
    [InlineData("estimate", "--concurrency", "-3", "--concurrency must be an integer from 1 to 100000, got '-3'")]
    public async Task A_bad_number_for_a_plan_command_option_is_one_line_naming_the_option_and_exit_2(string command, string option, string value, string message)
    {
        var plan = _cli.Plan(Plans.Small);

        var result = await _cli.RunAsync(command, plan, option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {message} (see 'fanout {command} --help')\n", result.Error);
    }

    [Theory]
    [InlineData(new[] { "simulate", "--port", "99999" }, "--port must be an integer from 0 to 65535, got '99999'", "simulate")]
    [InlineData(new[] { "simulate", "--port", "http" }, "--port must be an integer from 0 to 65535, got 'http'", "simulate")]
    [InlineData(new[] { "runs", "--limit", "-5" }, "--limit must be an integer from 1 to 100000, got '-5'", "runs")]
    [InlineData(new[] { "plan", "a goal", "--repairs", "1000" }, "--repairs must be an integer from 0 to 100, got '1000'", "plan")]
    [InlineData(new[] { "worker", "--concurrency", "1e3" }, "--concurrency must be an integer from 1 to 100000, got '1e3'", "worker")]
    [InlineData(new[] { "worker", "--lease", "99999999999h" }, "--lease must be a duration from 1s to 168h, such as 30s or 2m", "worker")]
    [InlineData(new[] { "validate", "" }, "PLAN must not be empty", "validate")]
    [InlineData(new[] { "graph", " " }, "PLAN must not be empty", "graph")]
    public async Task A_bad_value_for_any_other_option_or_argument_is_one_line_and_exit_2(string[] args, string message, string command)
    {
        var result = await _cli.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: {message} (see 'fanout {command} --help')\n", result.Error);
    }

    [Fact]
    public async Task Real_fanout_processes_answer_bad_numbers_with_one_line_and_exit_2_not_a_stack_trace()
    {
        var plan = _cli.Plan(Plans.Small);
        using var concurrency = FanoutProcess.Start(_cli.Directory, "run", plan, "--concurrency", "abc");
        using var port = FanoutProcess.Start(_cli.Directory, "simulate", "--port", "99999");
        using var empty = FanoutProcess.Start(_cli.Directory, "validate", "");

        var exits = await Task.WhenAll(new[] { concurrency, port, empty }.Select(p => p.ExitAsync(TimeSpan.FromSeconds(30))));

        Assert.All(exits, e =>
        {
            Assert.True(e.ExitCode == 2, e.ToString());
            Assert.Single(e.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.DoesNotContain("   at ", e.Error, StringComparison.Ordinal);
        });
    }

    [Theory]
    [InlineData("budget_usd: 1e309", "2:13", "'budget_usd' must be a number from 0 to 1000000000, got 1e309")]
    [InlineData("budget_usd: -0.5", "2:13", "'budget_usd' must be a number from 0 to 1000000000, got -0.5")]
    [InlineData("concurrency: 2147483648", "2:14", "'concurrency' must be an integer from 1 to 100000, got 2147483648")]
    [InlineData("pools: { gpu: 1000000000000 }", "2:15", "pools: 'gpu' must be an integer from 1 to 100000, got 1000000000000")]
    [InlineData("defaults: { timeout: 1000000h }", "2:22", "defaults: 'timeout' must be at most 168h (7 days), got 1000000h")]
    [InlineData("defaults: { retry: { max_delay: 99999999999999999999999h } }", "2:33", "defaults: retry: 'max_delay' must be a duration such as 250ms, 1.5s, 2m, 1h or a number of seconds, got '99999999999999999999999h'")]
    public async Task A_plan_setting_out_of_range_is_reported_at_its_line_and_column(string setting, string at, string message)
    {
        var plan = _cli.Plan($"name: n\n{setting}\ntasks:\n  - id: t\n    prompt: hi\n");

        var result = await _cli.RunAsync("validate", plan);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"{plan}:{at}: error: {message}\n", result.Error);
    }

    [Theory]
    [InlineData("max_tokens: -5", "'max_tokens' must be an integer from 1 to 10000000, got -5")]
    [InlineData("max_tokens: 1e12", "'max_tokens' must be an integer, got number")]
    [InlineData("max_tokens: 99999999999999999999999", "'max_tokens' must be an integer from 1 to 10000000, got 99999999999999999999999")]
    [InlineData("temperature: 1e999", "'temperature' must be a number from 0 to 2, got 1e999")]
    [InlineData("timeout: 99999999999999999999h", "'timeout' must be a duration such as 250ms, 1.5s, 2m, 1h or a number of seconds, got '99999999999999999999h'")]
    [InlineData("timeout: 8000000", "'timeout' must be at most 168h (7 days), got 8000000")]
    [InlineData("estimate: 200h", "'estimate' must be at most 168h (7 days), got 200h")]
    [InlineData("retry: 1000000", "'retry' must be an integer from 1 to 1000, got 1000000")]
    [InlineData("retry: { max_attempts: 0 }", "retry: 'max_attempts' must be an integer from 1 to 1000, got 0")]
    [InlineData("retry: { base_delay: 1e400 }", "retry: 'base_delay' must be a duration such as 250ms, 1.5s, 2m, 1h or a number of seconds, got number")]
    public async Task A_task_field_out_of_range_is_reported_at_its_value(string field, string message)
    {
        var plan = _cli.Plan($"name: n\ntasks:\n  - id: t\n    prompt: hi\n    {field}\n");

        var result = await _cli.RunAsync("validate", plan);

        Assert.Equal(2, result.ExitCode);
        var colon = field.StartsWith("retry: {", StringComparison.Ordinal) ? field.IndexOf(':', 8) : field.IndexOf(':', StringComparison.Ordinal);
        var column = "    ".Length + colon + ": ".Length + 1;
        Assert.Equal($"{plan}:5:{column}: error: task 't': {message}\n", result.Error);
    }
}
