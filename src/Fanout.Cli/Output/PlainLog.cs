namespace Fanout.Cli.Output;

/// <summary>Progress for logs and CI: one line per notable event, written as its subscription delivers them.</summary>
internal sealed class PlainLog(TextWriter writer)
{
    private readonly EventLines _lines = new();

    /// <summary>Writes the line of <paramref name="e"/>, if it is notable.</summary>
    public async Task WriteAsync(RunEvent e)
    {
        if (_lines.Line(e) is { } line)
        {
            await writer.WriteLineAsync(line.Text);
        }
    }

    /// <summary>Flushes what was written.</summary>
    public Task FlushAsync() => writer.FlushAsync();
}
