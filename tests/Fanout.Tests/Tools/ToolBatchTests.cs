using System.Collections.Immutable;
using Fanout.Footprints;
using Fanout.Time;
using Fanout.Tools;
using Microsoft.Extensions.AI;

namespace Fanout.Tests.Tools;

/// <summary>The batch executor's contract: results in call order with status, duration and error; per-call timeouts,
/// retries and error capture; footprints and pools decide what overlaps.</summary>
public sealed class ToolBatchTests
{
    private static FunctionCallContent Call(string name, string path = "a.txt", int ms = 10) =>
        new($"id_{name}_{path}", name, new Dictionary<string, object?> { ["path"] = path, ["ms"] = ms });

    private static ToolSet Sleepers(TimeProvider clock) => new ToolSet()
        .Add("read", async (args, ct) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds((int)args["ms"]!), clock, ct);
            return $"read {args["path"]}";
        }, args => Footprint.Reading((string)args["path"]!))
        .Add("write", async (args, ct) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds((int)args["ms"]!), clock, ct);
            return $"wrote {args["path"]}";
        }, args => Footprint.Writing((string)args["path"]!));

    private static ToolBatchResult Run(Func<TimeProvider, ToolSet> tools, IReadOnlyList<FunctionCallContent> calls, ToolBatchOptions? options = null)
    {
        var clock = new VirtualClock();
        return VirtualTime.Run(clock, () => ToolBatch.RunAsync(tools(clock), calls, (options ?? new ToolBatchOptions()) with { Time = clock }));
    }

    [Fact]
    public void Independent_reads_run_at_the_same_time()
    {
        var batch = Run(Sleepers, [Call("read", "a.txt", 100), Call("read", "b.txt", 100), Call("read", "a.txt", 100)]);

        Assert.Equal(100, batch.Metrics.MakespanMs, 3);
        Assert.Equal(300, batch.Metrics.SequentialMs, 3);
        Assert.Equal(3, batch.Metrics.Speedup, 3);
    }

    [Fact]
    public void A_read_of_what_an_earlier_call_writes_waits_and_the_metrics_say_so()
    {
        var batch = Run(Sleepers, [Call("write", "out/a.txt", 100), Call("read", "b.txt", 50), Call("read", "out", 50)]);

        Assert.Equal(150, batch.Metrics.MakespanMs, 3);
        var held = Assert.Single(batch.Metrics.HeldBack);
        Assert.Equal(("call0", "call2", 100.0), (held.From, held.To, held.HeldMs));
        Assert.StartsWith("read-after-write", held.Reason);
    }

    [Fact]
    public void Results_come_back_in_call_order_whatever_finishes_first()
    {
        var batch = Run(Sleepers, [Call("read", "slow", 300), Call("read", "fast", 1)]);

        Assert.Equal(["id_read_slow", "id_read_fast"], batch.Results.Select(r => r.Result.CallId));
        Assert.Equal(["read slow", "read fast"], batch.Results.Select(r => r.Result.Result as string));
        Assert.Equal([TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(1)], batch.Results.Select(r => r.Duration));
    }

    [Fact]
    public void An_unknown_tool_fails_its_call_and_the_rest_still_run()
    {
        var batch = Run(Sleepers, [Call("delete"), Call("read")]);

        Assert.Equal(ToolCallStatus.Failed, batch.Results[0].Status);
        Assert.Equal("unknown tool 'delete'", batch.Results[0].Error);
        Assert.Equal("error: unknown tool 'delete'", batch.Results[0].Result.Result);
        Assert.Equal(ToolCallStatus.Succeeded, batch.Results[1].Status);
    }

    [Fact]
    public void A_throwing_tool_is_captured_with_its_exception()
    {
        ToolSet Tools(TimeProvider _) => new ToolSet().Add("boom", (_, _) => throw new InvalidOperationException("disk full"), _ => Footprint.None);

        var result = Run(Tools, [Call("boom")]).Results[0];

        Assert.Equal(ToolCallStatus.Failed, result.Status);
        Assert.Equal("InvalidOperationException: disk full", result.Error);
        Assert.IsType<InvalidOperationException>(result.Result.Exception);
    }

    [Fact]
    public void A_call_that_outlives_its_timeout_is_timed_out()
    {
        ToolSet Tools(TimeProvider clock) => Sleepers(clock).Add(new ToolRegistration
        {
            Function = Sleepers(clock).Find("read")!.Function,
            Footprint = _ => Footprint.None,
            Timeout = TimeSpan.FromMilliseconds(50),
        });

        var batch = Run(Tools, [Call("read", "a", 500), Call("write", "b", 10)]);

        Assert.Equal(ToolCallStatus.TimedOut, batch.Results[0].Status);
        Assert.Equal("timed out after 50ms", batch.Results[0].Error);
        Assert.Equal(ToolCallStatus.Succeeded, batch.Results[1].Status);
        Assert.Equal(50, batch.Metrics.MakespanMs, 3);
    }

    [Fact]
    public void A_flaky_tool_is_retried_by_its_policy()
    {
        var calls = 0;
        ToolSet Tools(TimeProvider _) => new ToolSet().Add(new ToolRegistration
        {
            Function = AIFunctionFactory.Create(() => ++calls < 3 ? throw new TimeoutException("try again") : "done", "flaky"),
            Footprint = _ => Footprint.None,
            Retry = new RetryPolicy { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(10), Jitter = false },
        });

        var result = Run(Tools, [new FunctionCallContent("c1", "flaky")]).Results[0];

        Assert.Equal((ToolCallStatus.Succeeded, 3), (result.Status, result.Attempts));
        Assert.Equal("done", result.Result.Result?.ToString());
    }

    [Fact]
    public void An_AIFunction_made_by_the_factory_binds_its_arguments_from_the_call()
    {
        ToolSet Tools(TimeProvider _) => new ToolSet().Add(AIFunctionFactory.Create((int a, int b) => a + b, "add"), _ => Footprint.None);
        var call = FunctionCallContent.CreateFromParsedArguments("""{"a": 2, "b": 40}""", "c1", "add",
            json => System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, object?>>(json)!);

        var result = Run(Tools, [call]).Results[0];

        Assert.Equal("42", result.Result.Result?.ToString());
    }

    [Fact]
    public void A_pool_bounds_how_many_calls_of_its_tools_run_at_once()
    {
        ToolSet Tools(TimeProvider clock) => new ToolSet().Add(new ToolRegistration
        {
            Function = Sleepers(clock).Find("read")!.Function,
            Footprint = _ => Footprint.None,
            Pools = ["disk"],
        });

        var batch = Run(Tools, [.. Enumerable.Range(0, 6).Select(i => Call("read", $"f{i}", 100))],
            new ToolBatchOptions { Pools = ImmutableDictionary<string, int>.Empty.Add("disk", 2) });

        Assert.Equal(300, batch.Metrics.MakespanMs, 3);
        var disk = Assert.Single(batch.Metrics.Pools);
        Assert.Equal(("disk", 2, 1.0), (disk.Pool, disk.Size, disk.Utilisation));
    }

    [Fact]
    public void The_trace_records_each_call_with_its_footprint()
    {
        var batch = Run(Sleepers, [Call("write", "out.txt", 10)]);

        var entry = Assert.Single(batch.Trace());
        var line = entry.ToJsonLine();
        Assert.Contains("\"tool\":\"write\"", line);
        Assert.Contains("\"writes\":[\"out.txt\"]", line);
        Assert.Equal(entry.ResultSize, ToolTraceEntry.FromJsonLine(line).ResultSize);
        Assert.True(entry.ResultSize > 0);
    }
}
