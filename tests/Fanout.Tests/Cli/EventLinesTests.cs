using Fanout.Cli.Output;

namespace Fanout.Tests.Cli;

public sealed class EventLinesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset At(double seconds) => T0.AddSeconds(seconds);

    [Fact]
    public void Success_line_shows_elapsed_since_start_duration_and_tokens()
    {
        var lines = new EventLines();
        lines.Line(new RunStarted(T0, "r", "p", 2, 4));
        lines.Line(new TaskStateChanged(At(0.13), "strategy", "prompt", TaskState.Running, 1));

        var line = lines.Line(new TaskStateChanged(At(1.23), "strategy", "prompt", TaskState.Succeeded, 1, Tokens: new TokenUsage(500, 320)));

        Assert.Equal("[  1.23s] succeeded strategy 1.1s 820 tok", line?.Text);
    }

    [Fact]
    public void Retry_line_gives_attempt_error_and_delay()
    {
        var lines = new EventLines();
        lines.Line(new RunStarted(T0, "r", "p", 2, 4));

        var line = lines.Line(new TaskRetrying(At(2), "images[2]", 1, TimeSpan.FromMilliseconds(800), "429 Too Many Requests"));

        Assert.Equal("[  2.00s] retry images[2] attempt 1 failed: 429 Too Many Requests, next in 800ms", line?.Text);
    }

    [Fact]
    public void Skip_line_gives_the_reason()
    {
        var lines = new EventLines();

        var line = lines.Line(new TaskStateChanged(T0, "b", "process", TaskState.Skipped, 0, "dependency 'a' failed"));

        Assert.Equal("[  0.00s] skipped b (dependency 'a' failed)", line?.Text);
    }

    [Fact]
    public void Multi_line_errors_are_folded_onto_one_line()
    {
        var lines = new EventLines();

        var line = lines.Line(new TaskStateChanged(T0, "a", "process", TaskState.Failed, 2, "exited with code 1:\nline one\nline two"));

        Assert.Equal("[  0.00s] failed a after 2 attempts: exited with code 1: | line one | line two", line?.Text);
    }

    [Fact]
    public void Ready_and_pending_are_not_worth_a_line()
    {
        var lines = new EventLines();

        Assert.Null(lines.Line(new TaskStateChanged(T0, "a", "process", TaskState.Ready, 0)));
    }

    [Fact]
    public void Progress_counts_settled_tasks_including_fanout_items_and_tracks_running_ones()
    {
        var progress = new RunProgress();
        progress.Observe(new RunStarted(T0, "r", "p", 2, 4));
        progress.Observe(new FanoutExpanded(T0, "items", 3));
        progress.Observe(new TaskStateChanged(T0, "items[0]", "prompt", TaskState.Running, 1));
        progress.Observe(new TaskStateChanged(T0, "items[1]", "prompt", TaskState.Running, 1));
        progress.Observe(new TaskStateChanged(At(1), "items[0]", "prompt", TaskState.Succeeded, 1, Tokens: new TokenUsage(10, 5), CostUsd: 0.5m));
        progress.Observe(new TaskRetrying(At(1), "items[1]", 1, TimeSpan.FromSeconds(1), "boom"));

        var s = progress.Take();

        Assert.Equal(5, s.Total);
        Assert.Equal(1, s.Settled);
        Assert.Empty(s.Running);
        Assert.Equal(1, s.Retries);
        Assert.Equal((10, 5, 0.5m), (s.TokensIn, s.TokensOut, s.Cost));
        Assert.Contains(s.Recent, r => r.Text.Contains("retry items[1]", StringComparison.Ordinal));
    }
}
