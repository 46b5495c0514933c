using System.Text;
using Fanout.Cli;
using Fanout.Simulator;
using Fanout.Tests.Simulator;

namespace Fanout.Tests.Secrets;

/// <summary>
/// A run with real-provider configuration whose keys come from environment variables, against the simulator's HTTP
/// server, through the <c>fanout run</c> entry point, with a 401 (wrong key), a 500 and a 429 on the way: no key value
/// appears in the console output, the events, run.json, report.html or any file under the run directory or
/// <c>.fanout/</c> (where the journal will live).
/// </summary>
public sealed class SecretScanTests : IDisposable
{
    private const string GoodKey = "sk-test-SECRET-good-7f3a9c1e5b2d";
    private const string BadKey = "sk-test-SECRET-bad-0d4e8b2a6c9f";
    private const string TightKey = "sk-test-SECRET-tight-5e1b7d3f9a04";

    private static readonly Dictionary<string, string> Secrets = new()
    {
        ["SCAN_GOOD_KEY"] = GoodKey,
        ["SCAN_BAD_KEY"] = BadKey,
        ["SCAN_TIGHT_KEY"] = TightKey,
    };

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fanout-secrets-" + Guid.NewGuid().ToString("N")[..8]);

    public SecretScanTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string[] ScannedDirectories => [Path.Combine(_directory, "out"), Path.Combine(_directory, ".fanout")];

    [Fact]
    public async Task No_key_value_appears_in_output_events_reports_or_run_files()
    {
        await using var server = await SimulatorServer.StartAsync(new SimulatorOptions
        {
            Port = 0,
            // 'tight' admits one request a minute: of two sent at once, one gets 429 with Retry-After.
            Keys = [new SimulatorKey("good", GoodKey), new SimulatorKey("tight", TightKey) { Rpm = 1 }],
            Simulation = SimulatorFixture.Instant,
            Faults = new FaultSettings { Script = [HttpFault.ServerError] },
        });
        var url = new Uri(server.Address, "v1");
        await File.WriteAllTextAsync(Path.Combine(_directory, "plan.yaml"), $$$"""
            name: secrets
            concurrency: 8
            providers:
              good: { type: openai, api_key: "${SCAN_GOOD_KEY}", base_url: "{{{url}}}", model: gpt-4o-mini }
              bad: { type: openai, api_key: "${SCAN_BAD_KEY}", base_url: "{{{url}}}", model: gpt-4o-mini }
              tight: { type: openai, api_key: "${SCAN_TIGHT_KEY}", base_url: "{{{url}}}", model: gpt-4o-mini }
            defaults: { provider: good, timeout: 30s, retry: { max_attempts: 3, base_delay: 1ms } }
            tasks:
              - { id: one, prompt: first }
              - { id: two, prompt: second }
              - { id: three, needs: [one], prompt: "third after {{tasks.one.output}}" }
              - { id: four, needs: [two], prompt: fourth }
              - { id: picture, kind: image, prompt: a key-shaped cloud, size: 32x32 }
              - { id: refused, provider: bad, prompt: this key is wrong }
              - { id: tight1, provider: tight, prompt: one of two, timeout: 2s, retry: { max_attempts: 1 } }
              - { id: tight2, provider: tight, prompt: two of two, timeout: 2s, retry: { max_attempts: 1 } }
            """);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var events = new List<RunEvent>();
        var env = new CliEnvironment
        {
            Out = stdout,
            Error = stderr,
            CurrentDirectory = _directory,
            GetEnvironmentVariable = name => Secrets.GetValueOrDefault(name),
            OnEvent = e =>
            {
                lock (events)
                {
                    events.Add(e);
                }
            },
        };

        var code = await CliHost.RunAsync(["run", "plan.yaml", "--plain", "--out", "out"], env, CancellationToken.None);
        var json = await CliHost.RunAsync(["run", "plan.yaml", "--json"], env with { Out = stdout, Error = stderr }, CancellationToken.None);

        // The paths that could leak a key were taken: a 401 failure, a 500 retried, a 429, an image saved.
        Assert.True(code == 1, $"exit {code}\n{stdout}\n{stderr}");
        Assert.Equal(1, json);
        var report = RunReport.FromJson(await File.ReadAllTextAsync(Path.Combine(_directory, "out", "run.json")));
        Assert.Equal("OpenAI HTTP 401 (key 'SCAN_BAD_KEY'): Incorrect API key provided.", report.Tasks.Single(t => t.Id == "refused").Error);
        // The 429 stays inside the key pool (it cools the key down and holds the request until the task's timeout).
        // Under load the first may time out as well: what matters is that the 429 path was taken.
        Assert.Matches(@"pool tight \(answered/sent\): SCAN_TIGHT_KEY [01]/2 \(1 × 429", stdout.ToString());
        Assert.Contains(report.Tasks.SelectMany(t => t.AttemptLog), a => a.Error?.StartsWith("OpenAI HTTP 500", StringComparison.Ordinal) == true);
        Assert.Equal("SCAN_GOOD_KEY", report.Tasks.Single(t => t.Id == "picture").Key);
        var files = SecretScan.Files(ScannedDirectories);
        Assert.Contains(files, f => f.EndsWith(Path.Combine("out", "report.html"), StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(".png", StringComparison.Ordinal));
        Assert.Contains(files, f => f.Contains(Path.Combine(".fanout", "runs"), StringComparison.Ordinal) && f.EndsWith("run.json", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(Path.Combine(".fanout", "fanout.db"), StringComparison.Ordinal)); // the SQLite journal

        var texts = new Dictionary<string, string>
        {
            ["stdout"] = stdout.ToString(),
            ["stderr"] = stderr.ToString(),
            ["events"] = string.Join("\n", events.Select(e => e.ToString())),
        };
        Assert.Empty(SecretScan.Find(Secrets, ScannedDirectories, texts));

        // The same scan over the same places does find a key once one is there.
        await File.WriteAllBytesAsync(Path.Combine(_directory, ".fanout", "journal.db"), [0, 1, .. Encoding.UTF8.GetBytes(BadKey), 2]);
        Assert.Equal([$"SCAN_BAD_KEY in {Path.Combine(_directory, ".fanout", "journal.db")}"], SecretScan.Find(Secrets, ScannedDirectories, texts));
    }

    [Fact]
    public void Scan_finds_a_key_in_captured_text_and_in_utf16_file_content()
    {
        Directory.CreateDirectory(Path.Combine(_directory, "out", "artifacts"));
        File.WriteAllBytes(Path.Combine(_directory, "out", "artifacts", "notes.bin"), Encoding.Unicode.GetBytes($"key={GoodKey}"));

        var found = SecretScan.Find(Secrets, ScannedDirectories, new Dictionary<string, string> { ["stderr"] = $"Bearer {BadKey}" });

        Assert.Equal(["SCAN_BAD_KEY in stderr", $"SCAN_GOOD_KEY in {Path.Combine(_directory, "out", "artifacts", "notes.bin")}"], found);
    }
}
