using System.Collections.Immutable;

namespace Fanout;

/// <summary>Which coding-agent CLI a worker is: the documented non-interactive invocation and result format it has.</summary>
public enum AgentCli
{
    /// <summary>Any command: the prompt is appended as the last argument; a Claude-style JSON result is read when printed.</summary>
    Command,

    /// <summary>Claude Code: <c>claude -p PROMPT --output-format json</c>, one JSON result object.</summary>
    Claude,

    /// <summary>OpenAI Codex CLI: <c>codex exec --json PROMPT</c>, a JSONL stream of thread events.</summary>
    Codex,

    /// <summary>Gemini CLI: <c>gemini -p PROMPT --output-format json</c>, one object with <c>response</c> and <c>stats</c>.</summary>
    Gemini,
}

/// <summary>A coding-agent CLI that <c>agent</c> tasks run.</summary>
/// <param name="Name">The name tasks use in <c>worker:</c>.</param>
/// <param name="Command">For <see cref="AgentCli.Command"/>: program and leading arguments, the prompt appended. For a
/// preset: the program (and any arguments before the preset's own).</param>
/// <param name="Location">Where the plan declares it; null for a built-in preset.</param>
public sealed record WorkerDefinition(string Name, ImmutableArray<string> Command, SourceLocation? Location = null)
{
    /// <summary>Permission modes a plan may ask for (Claude Code's names; the other presets map them to their own flags).</summary>
    public static ImmutableArray<string> PermissionModes { get; } = ["default", "acceptEdits", "plan", "bypassPermissions"];

    /// <summary>The CLI whose invocation and result format this worker uses.</summary>
    public AgentCli Cli { get; init; } = AgentCli.Command;

    /// <summary>A pool every task of this worker holds a slot of (<c>pool:</c>): caps how many of its agents run at once.</summary>
    public string? Pool { get; init; }

    /// <summary>Run the simulated stand-in instead of the CLI (<c>simulate: true</c>); its outputs say they are simulated.</summary>
    public bool Simulate { get; init; }

    /// <summary>Presets for the common agent CLIs, each in its documented non-interactive JSON mode. A plan's
    /// <c>workers:</c> entry of the same name replaces the preset.</summary>
    public static ImmutableArray<WorkerDefinition> BuiltIn { get; } =
    [
        new("claude", ["claude"]) { Cli = AgentCli.Claude },
        new("codex", ["codex"]) { Cli = AgentCli.Codex },
        new("gemini", ["gemini"]) { Cli = AgentCli.Gemini },
    ];

    /// <summary>The program this worker starts.</summary>
    public string Program => Command[0];

    /// <summary>How to install the CLI, for the error a missing one fails with; null for a generic command.</summary>
    public string? InstallCommand => Cli switch
    {
        AgentCli.Claude => "npm install -g @anthropic-ai/claude-code",
        AgentCli.Codex => "npm install -g @openai/codex",
        AgentCli.Gemini => "npm install -g @google/gemini-cli",
        _ => null,
    };

    /// <summary>Why <paramref name="body"/>'s options cannot be passed to this CLI, or null when they can.</summary>
    public string? Unsupported(AgentBody body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Cli switch
        {
            AgentCli.Command when !body.AllowedTools.IsEmpty || body.PermissionMode is not null =>
                $"worker '{Name}' is a plain command: 'allowed_tools' and 'permission_mode' apply to the claude, codex and gemini presets (put flags in its command line)",
            AgentCli.Codex when !body.AllowedTools.IsEmpty =>
                $"worker '{Name}' (codex) has no per-tool allow list: use 'permission_mode' (acceptEdits → --sandbox workspace-write)",
            _ => null,
        };
    }

    /// <summary>
    /// The argv that runs <paramref name="body"/>: the documented headless invocation of the CLI, with the prompt
    /// (a template, rendered when the process starts) as one argument. Every other element is fixed text.
    /// </summary>
    public ImmutableArray<string> Argv(AgentBody body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var argv = ImmutableArray.CreateBuilder<string>();
        argv.AddRange(Command);
        switch (Cli)
        {
            case AgentCli.Claude:
                argv.AddRange("-p", body.Prompt, "--output-format", "json");
                if (body.PermissionMode is { } mode)
                {
                    argv.AddRange("--permission-mode", mode);
                }

                if (!body.AllowedTools.IsEmpty)
                {
                    // One comma-separated value: the flag is variadic and must not swallow what follows it.
                    argv.AddRange("--allowedTools", string.Join(',', body.AllowedTools));
                }

                break;
            case AgentCli.Codex:
                argv.AddRange("exec", "--json");
                argv.AddRange(body.PermissionMode switch
                {
                    "acceptEdits" => (string[])["--sandbox", "workspace-write"],
                    "plan" => ["--sandbox", "read-only"],
                    "bypassPermissions" => ["--dangerously-bypass-approvals-and-sandbox"],
                    _ => [],
                });
                argv.Add(body.Prompt);
                break;
            case AgentCli.Gemini:
                argv.AddRange("-p", body.Prompt, "--output-format", "json");
                argv.AddRange(body.PermissionMode switch
                {
                    "acceptEdits" => (string[])["--approval-mode", "auto_edit"],
                    "bypassPermissions" => ["--approval-mode", "yolo"],
                    _ => [],
                });
                foreach (var tool in body.AllowedTools)
                {
                    argv.AddRange("--allowed-tools", tool);
                }

                break;
            default:
                argv.Add(body.Prompt);
                break;
        }

        return argv.ToImmutable();
    }
}
