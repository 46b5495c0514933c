using System.Text.Json;
using Fanout.Cli;
using Fanout.Simulator;
using Fanout.Tests.Simulator;

namespace Fanout.Tests.Pools;

public sealed class ProvidersFileTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fanout-providers-" + Guid.NewGuid().ToString("N")[..8]);

    public ProvidersFileTests()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "plan.yaml"), """
            name: swap
            providers:
              llm: { type: simulated, model: small-model }
            tasks:
              - { id: ask, prompt: hello }
            """);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<(int Code, string Out, string Error)> Run(string providers, Func<string, string?>? environment = null)
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "providers.yaml"), providers);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var env = new CliEnvironment { Out = stdout, Error = stderr, CurrentDirectory = _directory, GetEnvironmentVariable = environment ?? (_ => null) };
        var code = await CliHost.RunAsync(["run", "plan.yaml", "--providers", "providers.yaml", "--plain", "--json", "--out", "out"], env, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Run_with_a_providers_file_uses_its_providers_instead_of_the_plans()
    {
        var (code, stdout, stderr) = await Run("""
            providers:
              llm: { type: simulated, model: other-model, models: { "*": { latency: 0ms, output_tokens: [5, 10] } } }
            """);

        Assert.True(code == 0, stderr);
        var report = RunReport.FromJson(stdout);
        Assert.Equal("other-model", report.Tasks.Single().Model);
    }

    [Fact]
    public async Task A_mistake_in_the_providers_file_is_reported_at_its_own_line()
    {
        var (code, _, stderr) = await Run("""
            # pools
            providers:
              llm: { type: openai, api_key: "${K}", routing: fastest }
            """);

        Assert.Equal(2, code);
        Assert.Contains("providers.yaml:3:", stderr, StringComparison.Ordinal);
        Assert.Contains("'routing' must be one of least-loaded, round-robin, weighted, sticky, got 'fastest'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_json_lists_each_pools_keys_by_alias_with_their_counts()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            Port = 0,
            Keys = [new SimulatorKey("one", "sk-file-test-ONE"), new SimulatorKey("two", "sk-file-test-TWO")],
            Simulation = SimulatorFixture.Instant,
        });

        var (code, stdout, stderr) = await Run($$"""
            providers:
              llm:
                type: openai
                base_url: {{new Uri(server.Address, "v1")}}
                model: gpt-4o-mini
                routing: round-robin
                keys: [{ alias: first, api_key: "${FILE_KEY_1}" }, { alias: second, api_key: "${FILE_KEY_2}" }]
            """, name => name == "FILE_KEY_1" ? "sk-file-test-ONE" : name == "FILE_KEY_2" ? "sk-file-test-TWO" : null);

        Assert.True(code == 0, stderr);
        var pool = JsonDocument.Parse(stdout).RootElement.GetProperty("pools")[0];
        Assert.Equal("llm", pool.GetProperty("provider").GetString());
        Assert.Equal(1, pool.GetProperty("measured").GetInt32());
        var first = pool.GetProperty("keys")[0];
        Assert.Equal(("first", 1, 1), (first.GetProperty("alias").GetString(), first.GetProperty("sent").GetInt32(), first.GetProperty("succeeded").GetInt32()));
        Assert.DoesNotContain("sk-file-test", stdout, StringComparison.Ordinal);
    }
}
