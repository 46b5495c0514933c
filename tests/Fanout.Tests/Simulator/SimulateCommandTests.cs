using System.Text;
using System.Text.RegularExpressions;
using Fanout.Cli;

namespace Fanout.Tests.Simulator;

/// <summary><c>fanout simulate</c>: listens, prints the URL and key aliases (never key values), serves, stops on Ctrl+C.</summary>
public class SimulateCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fanout-sim-").FullName;

    [Fact]
    public async Task Simulate_prints_url_and_aliases_serves_requests_and_stops_on_cancel()
    {
        File.WriteAllText(Path.Combine(_directory, "sim.yaml"), """
            keys:
              - { alias: pool-1, key: sk-secret-value-1, rpm: 600, tpm: 60000 }
            models:
              "*": { latency: 0ms, per_output_token: 0ms }
            """);
        var stdout = new SignallingWriter("Ctrl+C to stop.");
        var stderr = new StringWriter();
        var env = new CliEnvironment { Out = stdout, Error = stderr, CurrentDirectory = _directory };
        using var stop = new CancellationTokenSource();

        var run = CliHost.RunAsync(["simulate", "--port", "0", "--config", "sim.yaml"], env, stop.Token);
        await Task.WhenAny(stdout.Seen, run);
        var printed = stdout.ToString();
        var url = Regex.Match(printed, @"OpenAI base URL:\s+(\S+)").Groups[1].Value;
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, url + "/chat/completions")
        {
            Headers = { { "Authorization", "Bearer sk-secret-value-1" } },
            Content = new StringContent("""{"model":"m","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        using var response = await http.SendAsync(request);
        await stop.CancelAsync();
        var code = await run;

        Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}\n{printed}\n{stderr}");
        Assert.Matches(@"listening on http://127\.0\.0\.1:\d+/", printed);
        Assert.Contains("key 'pool-1': rpm 600, tpm 60000", printed, StringComparison.Ordinal);
        Assert.DoesNotContain("sk-secret-value-1", printed, StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Success, code);
    }

    [Fact]
    public async Task Simulate_with_a_bad_config_reports_the_problems_and_exits_invalid()
    {
        File.WriteAllText(Path.Combine(_directory, "sim.yaml"), "keys:\n  - { alias: a, key: k, rpm: -1 }\n");
        var stderr = new StringWriter();
        var env = new CliEnvironment { Out = new StringWriter(), Error = stderr, CurrentDirectory = _directory };

        var code = await CliHost.RunAsync(["simulate", "--port", "0", "--config", "sim.yaml"], env);

        Assert.Equal(ExitCodes.Invalid, code);
        Assert.Contains("'keys[0].rpm' must be a whole number", stderr.ToString(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        Directory.Delete(_directory, recursive: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>A StringWriter that completes <see cref="Seen"/> once a line containing a marker is written.</summary>
    private sealed class SignallingWriter(string marker) : StringWriter
    {
        private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Seen => _seen.Task;

        public override Task WriteLineAsync(string? value)
        {
            lock (this)
            {
                base.WriteLine(value);
            }

            if (value?.Contains(marker, StringComparison.Ordinal) == true)
            {
                _seen.TrySetResult();
            }

            return Task.CompletedTask;
        }

        public override string ToString()
        {
            lock (this)
            {
                return base.ToString();
            }
        }
    }
}
