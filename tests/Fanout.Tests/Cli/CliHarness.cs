using Fanout.Cli;

namespace Fanout.Tests.Cli;

/// <summary>A temporary directory to write plans into and a way to run <c>fanout</c> in it with captured output.</summary>
internal sealed class CliHarness : IDisposable
{
    public CliHarness()
    {
        Directory = Path.Combine(Path.GetTempPath(), "fanout-cli-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public string Directory { get; }

    /// <summary>Environment variables the command sees (nothing from the machine's own environment).</summary>
    public Dictionary<string, string> Environment { get; } = [];

    public string FilePath(string name) => Path.Combine(Directory, name);

    /// <summary>Writes <paramref name="yaml"/> to <paramref name="name"/> and returns its full path.</summary>
    public string Plan(string yaml, string name = "plan.yaml")
    {
        var path = FilePath(name);
        File.WriteAllText(path, yaml);
        return path;
    }

    public Task<Result> RunAsync(params string[] args) => RunAsync(args, null, CancellationToken.None);

    /// <summary>The clock commands run on (a manual one to run them in virtual time); the system clock by default.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>Pretend stdout is a terminal (the live view instead of plain lines).</summary>
    public bool Terminal { get; set; }

    public async Task<Result> RunAsync(string[] args, Action<RunEvent>? onEvent, CancellationToken cancellationToken)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var env = new CliEnvironment
        {
            Out = stdout,
            Error = stderr,
            CurrentDirectory = Directory,
            GetEnvironmentVariable = name => Environment.GetValueOrDefault(name),
            OnEvent = onEvent,
            OutIsTerminal = Terminal,
            Time = Time,
        };
        var code = await CliHost.RunAsync(args, env, cancellationToken);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A process a test started may still hold a file; the OS cleans temp eventually.
        }
    }

    public sealed record Result(int ExitCode, string Out, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}\n--- stderr\n{Error}";
    }
}
