using System.Threading.Channels;

namespace Fanout.Cli.Output;

/// <summary>
/// Progress for logs and CI: one line per notable event. Lines are formatted on the scheduler loop (cheap) and handed
/// through a channel to a writer task, so slow output never stalls the run.
/// </summary>
internal sealed class PlainLog(TextWriter writer)
{
    private readonly EventLines _lines = new();
    private readonly Channel<string> _pending = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Formats <paramref name="e"/> if it is notable. Called on the scheduler loop.</summary>
    public void Observe(RunEvent e)
    {
        if (_lines.Line(e) is { } line)
        {
            _pending.Writer.TryWrite(line.Text);
        }
    }

    /// <summary>Runs <paramref name="run"/> while writing lines; returns once every line is written.</summary>
    public async Task<T> WhileRunning<T>(Func<Task<T>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var pump = PumpAsync();
        try
        {
            return await run();
        }
        finally
        {
            _pending.Writer.TryComplete();
            await pump;
        }
    }

    private async Task PumpAsync()
    {
        await foreach (var line in _pending.Reader.ReadAllAsync())
        {
            await writer.WriteLineAsync(line);
        }

        await writer.FlushAsync();
    }
}
