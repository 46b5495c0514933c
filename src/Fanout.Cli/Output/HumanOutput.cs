using Spectre.Console;

namespace Fanout.Cli.Output;

/// <summary>
/// Where human-readable output goes: stdout normally, stderr when stdout carries JSON. Offers both the raw writer
/// (plain lines that must not wrap or be parsed as markup) and a Spectre console over the same writer.
/// </summary>
internal sealed class HumanOutput
{
    /// <summary>Width used when the writer is not a terminal (logs, CI, tests): wide enough that tables rarely wrap.</summary>
    private const int PlainWidth = 120;

    private HumanOutput(TextWriter writer, IAnsiConsole console, bool isTerminal)
    {
        Writer = writer;
        Console = console;
        IsTerminal = isTerminal;
    }

    /// <summary>The raw writer.</summary>
    public TextWriter Writer { get; }

    /// <summary>A Spectre console writing to <see cref="Writer"/>.</summary>
    public IAnsiConsole Console { get; }

    /// <summary>Whether a person is watching a terminal (colours, live view).</summary>
    public bool IsTerminal { get; }

    /// <summary>Human output for a command; <paramref name="toError"/> when stdout is reserved for JSON.</summary>
    public static HumanOutput For(CliEnvironment env, bool toError = false)
    {
        var writer = toError ? env.Error : env.Out;
        var terminal = toError ? env.ErrorIsTerminal : env.OutIsTerminal;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!terminal)
        {
            console.Profile.Width = PlainWidth;
        }

        return new HumanOutput(writer, console, terminal);
    }

    /// <summary>A notice the user should read before the run starts. Unwrapped when not on a terminal, so logs keep
    /// it on one line that grep finds.</summary>
    public void Notice(string text)
    {
        if (IsTerminal)
        {
            Console.MarkupLine($"[yellow]note:[/] {Markup.Escape(text)}");
        }
        else
        {
            Writer.WriteLine($"note: {text}");
        }
    }
}
