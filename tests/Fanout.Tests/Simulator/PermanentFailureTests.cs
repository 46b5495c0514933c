using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Fanout.Providers.Anthropic;
using Fanout.Providers.OpenAI;
using Fanout.Providers.Pools;
using Fanout.Providers.Simulation;
using Fanout.Simulator;
using Microsoft.Extensions.AI;

namespace Fanout.Tests.Simulator;

/// <summary>Fanout's own provider pipelines against the simulator's refusals, and the simulator as a process that stops on SIGTERM.</summary>
public class PermanentFailureTests
{
    private static readonly KeyIdentity Key = new("team-a", SimulatorFixture.Key);

    private static Task<SimulatorServer> ServingOnly(string model) => SimulatorServer.StartAsync(new SimulatorOptions
    {
        Port = 0,
        Keys = [new SimulatorKey("test", SimulatorFixture.Key)],
        Simulation = SimulatorFixture.Instant with
        {
            Models = ImmutableDictionary<string, ModelSimulation>.Empty.Add(model, SimulatorFixture.Instant.Models[SimulationSettings.AnyModel]),
        },
    });

    [Fact]
    public async Task OpenAI_refusal_of_the_request_is_permanent_and_names_the_key_alias_not_the_key()
    {
        await using var server = await ServingOnly("gpt-4o-mini");
        using var client = OpenAIKeyClient.Create(Key, new Uri(server.Address, "v1"), "gpt-4o-mini");

        var unknownModel = await Assert.ThrowsAsync<TaskFailedException>(() =>
            client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { ModelId = "gpt-9" }));
        var huge = System.Text.Json.JsonDocument.Parse("""{"type":"array","items":{"type":"string"},"minItems":100000000}""").RootElement;
        var tooLarge = await Assert.ThrowsAsync<TaskFailedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "list")],
            new ChatOptions { ModelId = "gpt-4o-mini", ResponseFormat = ChatResponseFormat.ForJsonSchema(huge, "list") }));

        foreach (var e in new[] { unknownModel, tooLarge })
        {
            Assert.False(e.Retryable, e.Message);
            Assert.Contains("key 'team-a'", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(SimulatorFixture.Key, e.Message, StringComparison.Ordinal);
        }

        Assert.Contains("HTTP 404", unknownModel.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 400", tooLarge.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anthropic_bad_key_and_unknown_model_are_permanent_and_name_the_key_alias()
    {
        await using var server = await ServingOnly("claude-sonnet-4");
        using var wrongKey = AnthropicKeyClient.Create(new KeyIdentity("team-b", "sk-ant-wrong-key-value"), server.Address, "claude-sonnet-4");
        using var client = AnthropicKeyClient.Create(Key, server.Address, "claude-sonnet-4");

        var rejected = await Assert.ThrowsAsync<KeyRejectedException>(() => wrongKey.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")]));
        var unknown = await Assert.ThrowsAsync<TaskFailedException>(() =>
            client.GetResponseAsync([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { ModelId = "claude-9" }));

        Assert.False(rejected.Retryable);
        Assert.Contains("key 'team-b'", rejected.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-ant-wrong-key-value", rejected.Message, StringComparison.Ordinal);
        Assert.False(unknown.Retryable);
        Assert.Contains("key 'team-a'", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_process_exits_promptly_on_sigterm_with_a_request_in_flight()
    {
        var directory = Directory.CreateTempSubdirectory("fanout-sim-term-").FullName;
        try
        {
            // A model that takes ten minutes to answer: the request is still in flight when the signal comes.
            File.WriteAllText(Path.Combine(directory, "sim.yaml"), """
                keys:
                  - { alias: a, key: sk-term }
                models:
                  "*": { latency: 10m }
                """);
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = directory };
            foreach (var argument in (string[])["exec", Path.Combine(AppContext.BaseDirectory, "Fanout.Cli.dll"), "simulate", "--port", "0", "--config", "sim.yaml"])
            {
                start.ArgumentList.Add(argument);
            }

            using var child = Process.Start(start)!;
            _ = child.StandardError.ReadToEndAsync();
            string? url = null;
            while (url is null && await child.StandardOutput.ReadLineAsync() is { } line)
            {
                url = line.Contains("OpenAI base URL:", StringComparison.Ordinal) ? line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1] : null;
            }

            Assert.NotNull(url);
            // The whole request is written to the socket before the signal, so the server holds it (or is reading it).
            var address = new Uri(url!);
            using var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(address.Host, address.Port);
            var stream = tcp.GetStream();
            const string body = """{"model":"m","messages":[{"role":"user","content":"hi"}]}""";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"POST /v1/chat/completions HTTP/1.1\r\nHost: {address.Authority}\r\nAuthorization: Bearer sk-term\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n{body}"));
            await stream.FlushAsync();
            var clock = Stopwatch.StartNew();
            using (var kill = Process.Start("kill", ["-TERM", child.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync();
            }

            await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(15));

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed} to exit");
            var reply = new byte[4096];
            var read = 0;
            try
            {
                read = await stream.ReadAsync(reply);
            }
            catch (IOException)
            {
                // Reset by the stopping server: no answer either way.
            }

            Assert.DoesNotContain("200 OK", Encoding.ASCII.GetString(reply, 0, read), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
