using System.Runtime.InteropServices;
using Fanout.Cli;

// The real console and signals; everything else is CliHost, which tests call directly.
// First Ctrl+C or SIGTERM: cancel gracefully (running tasks are cancelled, the report is still written, exit 130).
// Second Ctrl+C: the default behaviour, terminate now.
using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (!cancellation.IsCancellationRequested)
    {
        e.Cancel = true;
        Console.Error.WriteLine("cancelling… (press Ctrl+C again to quit immediately)");
        cancellation.Cancel();
    }
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    cancellation.Cancel();
});

return await CliHost.RunAsync(args, CliEnvironment.FromConsole(), cancellation.Token);
