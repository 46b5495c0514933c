using Fanout.Cli;

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

    private async Task<(int Code, string Out, string Error)> Run(string providers)
    {
        await File.WriteAllTextAsync(Path.Combine(_directory, "providers.yaml"), providers);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var env = new CliEnvironment { Out = stdout, Error = stderr, CurrentDirectory = _directory, GetEnvironmentVariable = _ => null };
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
}
