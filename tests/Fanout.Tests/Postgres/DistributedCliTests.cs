using System.Text.Json;
using Fanout.Cli;

namespace Fanout.Tests.Postgres;

/// <summary><c>fanout run --store postgres…</c>, <c>fanout worker</c>, <c>fanout runs</c> and <c>fanout show</c>
/// against a real PostgreSQL.</summary>
public sealed class DistributedCliTests
{
    private const string Plan =
        """
        name: cli-chain
        tasks:
          - { id: a, argv: [echo, hello] }
          - { id: b, needs: [a], shell: true, argv: ['echo "got $1"', "{{tasks.a.output}}"] }
          - { id: c, needs: [b], merge: { b: "{{tasks.b.output}}" } }
        """;

    private static Task<(int Code, string Out, string Error)> Fanout(Cluster cluster, params string[] args) => Fanout(cluster.Directory, args);

    private static async Task<(int Code, string Out, string Error)> Fanout(string directory, params string[] args)
    {
        var env = new CliEnvironment
        {
            Out = new StringWriter(),
            Error = new StringWriter(),
            CurrentDirectory = directory,
            GetEnvironmentVariable = name => name == "FANOUT_STORE" ? null : Environment.GetEnvironmentVariable(name),
        };
        var code = await CliHost.RunAsync(args, env);
        return (code, env.Out.ToString()!, env.Error.ToString()!);
    }

    [PostgresFact]
    public async Task A_detached_run_is_worked_by_fanout_worker_and_shown_from_the_store()
    {
        await using var cluster = await Cluster.CreateAsync();
        await File.WriteAllTextAsync(Path.Combine(cluster.Directory, "plan.yaml"), Plan);

        var submitted = await Fanout(cluster, "run", "plan.yaml", "--store", cluster.ConnectionString, "--detach", "--json");
        Assert.True(submitted.Code == 0, submitted.Error);
        var runId = JsonDocument.Parse(submitted.Out).RootElement.GetProperty("run_id").GetString()!;
        Assert.Equal("running", await cluster.ScalarAsync<string>("SELECT status FROM fanout_runs WHERE run_id = @run", ("run", runId)));
        Assert.Empty(await cluster.AttemptsAsync(runId));

        var worked = await Fanout(cluster, "worker", "--store", cluster.ConnectionString, "--exit-when-idle");
        Assert.True(worked.Code == 0, worked.Error);

        var runs = await Fanout(cluster, "runs", "--store", cluster.ConnectionString);
        Assert.Contains(runs.Out.Split('\n'), line => line.StartsWith(runId, StringComparison.Ordinal) && line.Contains("succeeded", StringComparison.Ordinal));
        var shown = await Fanout(cluster, "show", runId, "--store", cluster.ConnectionString);
        Assert.True(shown.Code == 0, shown.Error);
        Assert.Contains("succeeded", shown.Out, StringComparison.Ordinal);
        Assert.Equal(["a", "b", "c"], (await cluster.InstancesAsync(runId)).Where(i => i.Value.State == "succeeded").Select(i => i.Key).Order());
    }

    [PostgresFact]
    public async Task A_run_on_the_store_works_on_itself_and_writes_the_report_like_a_local_run()
    {
        await using var cluster = await Cluster.CreateAsync();
        await File.WriteAllTextAsync(Path.Combine(cluster.Directory, "plan.yaml"), Plan);

        var run = await Fanout(cluster, "run", "plan.yaml", "--store", cluster.ConnectionString, "--out", "out", "--plain");

        Assert.True(run.Code == 0, run.Error);
        using var report = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(cluster.Directory, "out", "run.json")));
        Assert.Equal("succeeded", report.RootElement.GetProperty("status").GetString());
        var c = report.RootElement.GetProperty("tasks").EnumerateArray().Single(t => t.GetProperty("id").GetString() == "c");
        Assert.Equal("got hello", c.GetProperty("output").GetProperty("b").GetString());
        Assert.Equal(["a", "b", "c"], report.RootElement.GetProperty("critical_path").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task A_worker_without_a_postgres_store_is_refused()
    {
        var result = await Fanout(Path.GetTempPath(), "worker", "--store", "memory");
        Assert.Equal(2, result.Code);
        Assert.Contains("needs a PostgreSQL store", result.Error, StringComparison.Ordinal);
    }
}
