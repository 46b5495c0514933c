using Fanout.Storage;
using Fanout.Tests.Support;

namespace Fanout.Tests.Cache;

/// <summary>The result cache end to end through the scheduler: a pure process task counts its real executions.</summary>
public sealed class CachingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fanout-caching-").FullName;
    private readonly InMemoryRunStore _store = new();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Counter => Path.Combine(_directory, "runs.txt");

    private int Executions => File.Exists(Counter) ? File.ReadAllLines(Counter).Length : 0;

    private PlanDefinition Plan(bool pure = true, string word = "hello", string? contract = null) => new PlanDefinition
    {
        Name = "cache",
        BaseDirectory = _directory,
        Tasks =
        [
            new TaskDefinition
            {
                Id = "p",
                Pure = pure,
                Body = new ProcessBody { Argv = ["sh", "-c", "echo run >> runs.txt; echo \"$1\"", "sh", word] },
            },
        ],
    };

    private Task<RunReport> RunAsync(PlanDefinition plan, bool cache = true) =>
        new Scheduler(TaskGraph.Compile(plan), new RunOptions
        {
            Store = _store,
            Executors = cache ? CachingExecutor.Wrap(Sim.Executors, _store) : Sim.Executors,
        }).RunAsync();

    [Fact]
    public async Task A_second_identical_run_is_served_from_the_cache()
    {
        await RunAsync(Plan());
        var second = await RunAsync(Plan());

        Assert.Equal(1, Executions);
        Assert.True(second.Row("p").CacheHit);
        Assert.Equal("\"hello\"", second.Row("p").Output!.Value.GetRawText());
        Assert.Equal(1, second.CacheHits);
    }

    [Fact]
    public async Task A_changed_argument_misses_the_cache()
    {
        await RunAsync(Plan());
        var second = await RunAsync(Plan(word: "bye"));

        Assert.Equal(2, Executions);
        Assert.Null(second.Row("p").CacheHit);
    }

    [Fact]
    public async Task An_impure_process_always_runs()
    {
        await RunAsync(Plan(pure: false));
        await RunAsync(Plan(pure: false));

        Assert.Equal(2, Executions);
    }

    [Fact]
    public async Task Without_the_caching_layer_nothing_is_reused()
    {
        await RunAsync(Plan());
        await RunAsync(Plan(), cache: false);

        Assert.Equal(2, Executions);
    }

    [Fact]
    public async Task A_cache_hit_is_journaled_as_such_and_costs_nothing()
    {
        await RunAsync(Plan());
        var second = await RunAsync(Plan());

        var attempt = Assert.Single((await _store.LoadAsync(second.RunId))!.Attempts);
        Assert.True(attempt.CacheHit);
        Assert.Null(second.Row("p").CostUsd);
    }
}
