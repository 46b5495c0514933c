using Fanout.Providers;
using Fanout.Providers.Images;
using Fanout.Simulator;
using Fanout.Tests.Plans;
using Fanout.Tests.Simulator;
using Fanout.Tests.Support;

namespace Fanout.Tests.Images;

/// <summary>Image tasks through the official OpenAI SDK against the simulator's HTTP server: real PNGs land on disk.</summary>
public sealed class OpenAIImageTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fanout-images-http-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private async Task<RunReport> RunAsync(SimulatorServer server, string key, string tasks)
    {
        var plan = Load.Yaml($"""
            name: http-images
            providers:
              openai: {"{"} type: openai, api_key: "${"{"}IMAGES_KEY{"}"}", base_url: "{new Uri(server.Address, "v1")}" {"}"}
            defaults: {"{"} retry: {"{"} max_attempts: 2, base_delay: 1ms {"}"} {"}"}
            tasks:
            {tasks}
            """);
        using var providers = ProviderSetup.Create(plan, new ProviderOptions { GetEnvironmentVariable = name => name == "IMAGES_KEY" ? key : null });
        var options = new RunOptions
        {
            RunId = "http-images",
            Seed = 1,
            OutputDirectory = _directory,
            Executors = ExecutorRegistry.CreateDefault().With(new ImageExecutor(providers)),
        };
        return await new Scheduler(TaskGraph.Compile(plan), options).RunAsync();
    }

    [Fact]
    public async Task Images_generated_over_http_are_saved_as_valid_pngs_of_the_requested_size()
    {
        await using var server = await SimulatorFixture.Start();

        var report = await RunAsync(server, SimulatorFixture.Key, """
              - { id: hero, kind: image, prompt: "a lighthouse at dusk", size: 64x48, n: 2 }
              - { id: icon, kind: image, prompt: "a small bread icon", size: 32x32 }
            """);

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(["artifacts/hero-0.png", "artifacts/hero-1.png"], report.Row("hero").Artifacts!.Value.ToArray());
        Assert.Equal((64, 48), PngFile.Read(await File.ReadAllBytesAsync(Path.Combine(_directory, "artifacts", "hero-0.png"))));
        Assert.Equal((64, 48), PngFile.Read(await File.ReadAllBytesAsync(Path.Combine(_directory, "artifacts", "hero-1.png"))));
        Assert.Equal((32, 32), PngFile.Read(await File.ReadAllBytesAsync(Path.Combine(_directory, "artifacts", "icon-0.png"))));
        Assert.Equal("openai", report.Row("hero").Provider);
        Assert.Equal("IMAGES_KEY", report.Row("hero").Key);
    }

    [Fact]
    public async Task Http_and_in_process_simulators_draw_the_same_picture_for_a_prompt()
    {
        await using var server = await SimulatorFixture.Start();

        await RunAsync(server, SimulatorFixture.Key, """
              - { id: one, kind: image, prompt: "a red barn", size: 40x30 }
            """);

        Assert.Equal(Png.ForPrompt("a red barn", 0, 40, 30), await File.ReadAllBytesAsync(Path.Combine(_directory, "artifacts", "one-0.png")));
    }

    [Fact]
    public async Task A_server_error_is_retried_and_the_retry_saves_the_image()
    {
        await using var server = await SimulatorFixture.Start(faults: new FaultSettings { Script = [HttpFault.ServerError] });

        var report = await RunAsync(server, SimulatorFixture.Key, """
              - { id: one, kind: image, prompt: "a red barn", size: 16x16 }
            """);

        var row = report.Row("one");
        Assert.Equal(TaskState.Succeeded, row.Status);
        Assert.Equal(2, row.Attempts);
        Assert.Contains("OpenAI HTTP 500", row.AttemptLog[0].Error);
        Assert.True(File.Exists(Path.Combine(_directory, "artifacts", "one-0.png")));
    }

    [Fact]
    public async Task A_wrong_key_fails_the_task_once_with_the_provider_message_and_no_key_in_it()
    {
        await using var server = await SimulatorFixture.Start();

        var report = await RunAsync(server, "sk-wrong-KEY-VALUE-123456", """
              - { id: one, kind: image, prompt: "a red barn" }
            """);

        var row = report.Row("one");
        Assert.Equal(TaskState.Failed, row.Status);
        Assert.Equal(1, row.Attempts);
        Assert.Equal("OpenAI HTTP 401 (key 'IMAGES_KEY'): Incorrect API key provided.", row.Error);
        Assert.False(Directory.Exists(Path.Combine(_directory, "artifacts")));
    }
}
