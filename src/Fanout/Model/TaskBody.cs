using System.Collections.Immutable;
using System.Text.Json;

namespace Fanout;

/// <summary>The kind-specific part of a task. Each kind has one executor.</summary>
public abstract record TaskBody
{
    /// <summary>The kind name, as written in plans.</summary>
    public abstract string Kind { get; }

    /// <summary>Every template string in the body with the field it came from, for validation.</summary>
    public virtual IEnumerable<(string Field, string Template)> Templates() => [];
}

/// <summary>The shape a task's output takes.</summary>
public enum OutputFormat
{
    /// <summary>A JSON string holding the text.</summary>
    Text,

    /// <summary>Parsed JSON.</summary>
    Json,
}

/// <summary>How a prompt reaches its provider.</summary>
public enum PromptMode
{
    /// <summary>One request, answered at once (the default).</summary>
    Online,

    /// <summary>Through the provider's Batch API, at its discount, answered within the batch window.</summary>
    Batch,

    /// <summary>Batch only when the task can wait: its slack off the critical path exceeds the batch window.</summary>
    Auto,
}

/// <summary>An LLM chat prompt sent through an <c>IChatClient</c>.</summary>
public sealed record PromptBody : TaskBody
{
    /// <inheritdoc />
    public override string Kind => "prompt";

    /// <summary>Provider name from the plan's <c>providers</c>; null takes the default.</summary>
    public string? Provider { get; init; }

    /// <summary>Model id; null takes the default.</summary>
    public string? Model { get; init; }

    /// <summary>System message template.</summary>
    public string? System { get; init; }

    /// <summary>User message template.</summary>
    public required string Prompt { get; init; }

    /// <summary>Sampling temperature.</summary>
    public double? Temperature { get; init; }

    /// <summary>Output token cap.</summary>
    public int? MaxTokens { get; init; }

    /// <summary>Text or JSON output.</summary>
    public OutputFormat Output { get; init; } = OutputFormat.Text;

    /// <summary>A JSON Schema the output must follow (implies JSON output); sent to providers that support it.</summary>
    public JsonElement? Schema { get; init; }

    /// <summary>Tools the model may call (<c>tools:</c>); their calls of each round run as one tool batch.</summary>
    public ImmutableArray<ToolDefinition> Tools { get; init; } = [];

    /// <summary>Most rounds of tool calls before the task fails (<c>max_tool_rounds:</c>); null takes
    /// <see cref="ToolDefinition.DefaultMaxRounds"/>.</summary>
    public int? MaxToolRounds { get; init; }

    /// <summary>How the prompt reaches its provider (<c>mode:</c>): at once, or through the provider's Batch API.</summary>
    public PromptMode Mode { get; init; } = PromptMode.Online;

    /// <summary>For <see cref="PromptMode.Auto"/> (<c>batch_window:</c>): how long a batch may take; a task goes to the
    /// Batch API only when its slack off the critical path exceeds it. Null takes <see cref="DefaultBatchWindow"/>.</summary>
    public TimeSpan? BatchWindow { get; init; }

    /// <summary>The providers' batch completion window (both promise results within 24 hours).</summary>
    public static readonly TimeSpan DefaultBatchWindow = TimeSpan.FromHours(24);

    /// <inheritdoc />
    public override IEnumerable<(string Field, string Template)> Templates()
    {
        if (System is not null)
        {
            yield return ("system", System);
        }

        yield return ("prompt", Prompt);
    }
}

/// <summary>
/// Which of Fanout's own environment variables a process receives besides the ones its task declares and the minimal
/// set every process gets (PATH, HOME, LANG…; see docs/security.md).
/// </summary>
/// <param name="All">Every variable (<c>inherit_env: true</c>).</param>
/// <param name="Names">These variables, when set (<c>inherit_env: [GITHUB_TOKEN, AWS_PROFILE]</c>).</param>
public sealed record InheritedEnvironment(bool All, ImmutableArray<string> Names)
{
    /// <summary>Nothing beyond the minimal set: the default for <c>process</c> tasks.</summary>
    public static InheritedEnvironment None { get; } = new(false, []);

    /// <summary>Everything: the default for <c>agent</c> tasks, whose CLIs need their login, configuration and keys.</summary>
    public static InheritedEnvironment Everything { get; } = new(true, []);

    /// <inheritdoc />
    public bool Equals(InheritedEnvironment? other) => other is not null && All == other.All && Names.SequenceEqual(other.Names);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(All, Names.Length);
}

/// <summary>A child process: argv (never a shell unless asked), stdin, environment and working directory.</summary>
public sealed record ProcessBody : TaskBody
{
    /// <inheritdoc />
    public override string Kind => "process";

    /// <summary>Program and arguments, each a template rendered to exactly one argument.</summary>
    public ImmutableArray<string> Argv { get; init; } = [];

    /// <summary>Run <see cref="Argv"/> joined as one <c>/bin/sh -c</c> script. Off by default: templated values would become shell text.</summary>
    public bool Shell { get; init; }

    /// <summary>Template written to the process's standard input.</summary>
    public string? Stdin { get; init; }

    /// <summary>Extra environment variables (values are templates).</summary>
    public ImmutableDictionary<string, string> Env { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Which of Fanout's environment variables the process also gets (<c>inherit_env</c>).</summary>
    public InheritedEnvironment InheritEnv { get; init; } = InheritedEnvironment.None;

    /// <summary>Working directory; relative paths resolve against the plan's directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>How standard output becomes the task's output.</summary>
    public OutputFormat Output { get; init; } = OutputFormat.Text;

    private static readonly string[] Shells = ["sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "fish"];

    /// <summary>
    /// The argv element a shell will run as script text, and that shell: argv[0] with <c>shell: true</c>; else the
    /// command string of a shell started with <c>-c</c> (<c>sh</c>, <c>bash</c>, <c>zsh</c>, <c>dash</c>… by name or path,
    /// also behind <c>env [VAR=x]</c>; flags such as <c>-ec</c> or <c>-o pipefail</c> included). Null when no argument is
    /// shell text. The one place that decides where templates would become shell code.
    /// </summary>
    public (int Index, string Shell)? ShellScript()
    {
        if (Shell)
        {
            return Argv.IsDefaultOrEmpty ? null : (0, "/bin/sh");
        }

        var i = 0;
        if (Argv.Length > 0 && System.IO.Path.GetFileName(Argv[0]) == "env")
        {
            for (i = 1; i < Argv.Length && (Argv[i].StartsWith('-') || Argv[i].Contains('=', StringComparison.Ordinal)); i++)
            {
            }
        }

        if (i >= Argv.Length || !Shells.Contains(System.IO.Path.GetFileName(Argv[i]), StringComparer.Ordinal))
        {
            return null;
        }

        var shell = System.IO.Path.GetFileName(Argv[i]);
        var command = false;
        for (var j = i + 1; j < Argv.Length; j++)
        {
            var argument = Argv[j];
            if (argument == "--")
            {
                return command && j + 1 < Argv.Length ? (j + 1, shell) : null;
            }

            if (argument.Length > 1 && argument[0] is '-' or '+')
            {
                command |= argument[0] == '-' && !argument.StartsWith("--", StringComparison.Ordinal) && argument.Contains('c', StringComparison.Ordinal);
                // -o/-O (also ending a cluster, as in -euo pipefail) and bash's file options take the next argument.
                if (argument is "--rcfile" or "--init-file" || (!argument.StartsWith("--", StringComparison.Ordinal) && argument[^1] is 'o' or 'O'))
                {
                    j++;
                }

                continue;
            }

            return command ? (j, shell) : null;
        }

        return null;
    }

    /// <inheritdoc />
    public override IEnumerable<(string Field, string Template)> Templates()
    {
        for (var i = 0; i < Argv.Length; i++)
        {
            yield return ($"argv[{i}]", Argv[i]);
        }

        if (Stdin is not null)
        {
            yield return ("stdin", Stdin);
        }

        foreach (var (key, value) in Env)
        {
            yield return ($"env.{key}", value);
        }
    }
}

/// <summary>Where an agent works.</summary>
public enum AgentWorkspace
{
    /// <summary>In its <c>cwd</c> (the plan's directory by default), shared with every other task.</summary>
    Shared,

    /// <summary>In a <c>git worktree</c> of its own, its changes committed on <c>fanout/RUN/TASK</c>.</summary>
    Worktree,
}

/// <summary>
/// A coding-agent CLI (Claude Code, Codex, Gemini CLI or any command) given one prompt: the worker's documented
/// headless invocation (see <see cref="WorkerDefinition.Argv"/>) with the rendered prompt as a single argument, never
/// shell text.
/// </summary>
public sealed record AgentBody : TaskBody
{
    /// <inheritdoc />
    public override string Kind => "agent";

    /// <summary>The worker's name: a built-in preset (<c>claude</c>, <c>codex</c>, <c>gemini</c>) or one the plan declares.</summary>
    public required string Worker { get; init; }

    /// <summary>The prompt template.</summary>
    public required string Prompt { get; init; }

    /// <summary>Extra environment variables (values are templates).</summary>
    public ImmutableDictionary<string, string> Env { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Which of Fanout's environment variables the CLI gets (<c>inherit_env</c>; all of them by default).</summary>
    public InheritedEnvironment InheritEnv { get; init; } = InheritedEnvironment.Everything;

    /// <summary>Working directory; relative paths resolve against the plan's directory (or the agent's worktree).</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>How the agent's standard output becomes the task's output.</summary>
    public OutputFormat Output { get; init; } = OutputFormat.Text;

    /// <summary>Where the agent works (<c>workspace:</c>).</summary>
    public AgentWorkspace Workspace { get; init; } = AgentWorkspace.Shared;

    /// <summary>Tools the CLI may use without asking (<c>allowed_tools:</c>; Claude Code's <c>--allowedTools</c>).</summary>
    public ImmutableArray<string> AllowedTools { get; init; } = [];

    /// <summary>One of <see cref="WorkerDefinition.PermissionModes"/> (<c>permission_mode:</c>), or null for the CLI's default.</summary>
    public string? PermissionMode { get; init; }

    /// <inheritdoc />
    public override IEnumerable<(string Field, string Template)> Templates()
    {
        yield return ("prompt", Prompt);
        foreach (var (key, value) in Env)
        {
            yield return ($"env.{key}", value);
        }
    }

    /// <summary>The process that runs this agent with <paramref name="worker"/>'s invocation.</summary>
    public ProcessBody AsProcess(WorkerDefinition worker)
    {
        ArgumentNullException.ThrowIfNull(worker);
        return new()
        {
            // Only the prompt is a template: worker commands and options are fixed text (the plan reader rejects "{{" in them).
            Argv = worker.Argv(this),
            Env = Env,
            InheritEnv = InheritEnv,
            WorkingDirectory = WorkingDirectory,
            Output = Output,
        };
    }
}

/// <summary>What an <c>integrate</c> task does when merging a dependency's branch conflicts.</summary>
public enum ConflictPolicy
{
    /// <summary>Fail the task, naming the files, hunks and the two tasks.</summary>
    Fail,

    /// <summary>Hand the conflict to an agent (<see cref="IntegrateBody.RepairWorker"/>), at most <see cref="IntegrateBody.MaxRepairs"/> times.</summary>
    Repair,
}

/// <summary>
/// Merges the branches of its dependencies (agents with <c>workspace: worktree</c>), in the order of its <c>needs</c>,
/// into <c>fanout/RUN/integrated</c> — never the user's branch — and runs a verification command on the result.
/// </summary>
public sealed record IntegrateBody : TaskBody
{
    /// <inheritdoc />
    public override string Kind => "integrate";

    /// <summary>The verification command (argv, fixed text) run in the merged tree; empty: none.</summary>
    public ImmutableArray<string> Verify { get; init; } = [];

    /// <summary>What a merge conflict does (<c>on_conflict:</c>).</summary>
    public ConflictPolicy OnConflict { get; init; } = ConflictPolicy.Fail;

    /// <summary>The worker that repairs conflicts (<c>repair_worker:</c>).</summary>
    public string? RepairWorker { get; init; }

    /// <summary>The most repairs one run of the task asks for (<c>max_repairs:</c>).</summary>
    public int MaxRepairs { get; init; } = 1;
}

/// <summary>
/// Combines upstream outputs into one JSON value. <see cref="Value"/> is a JSON template: a string that is exactly
/// <c>{{path}}</c> becomes the JSON value at that path (not its text); other strings are rendered as templates;
/// <c>{"$concat": [...]}</c> concatenates arrays and <c>{"$merge": [...]}</c> merges objects left to right.
/// </summary>
public sealed record MergeBody : TaskBody
{
    /// <inheritdoc />
    public override string Kind => "merge";

    /// <summary>The mapping.</summary>
    public required JsonElement Value { get; init; }

    /// <inheritdoc />
    public override IEnumerable<(string Field, string Template)> Templates() => JsonTemplateStrings("merge", Value);

    private static IEnumerable<(string Field, string Template)> JsonTemplateStrings(string field, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                yield return (field, value.GetString()!);
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var element in value.EnumerateArray())
                {
                    foreach (var t in JsonTemplateStrings($"{field}[{i++}]", element))
                    {
                        yield return t;
                    }
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    foreach (var t in JsonTemplateStrings($"{field}.{property.Name}", property.Value))
                    {
                        yield return t;
                    }
                }

                break;
        }
    }
}

/// <summary>A C# function, for plans built in code.</summary>
/// <param name="Run">The work. Its return value is serialized to JSON as the task's output.</param>
public sealed record DelegateBody(Func<TaskContext, CancellationToken, ValueTask<object?>> Run) : TaskBody
{
    /// <inheritdoc />
    public override string Kind => "delegate";
}

/// <summary>A task of a kind handled by a custom <see cref="ITaskExecutor"/>; the executor reads <see cref="Config"/>.</summary>
/// <param name="KindName">The kind name the executor is registered under.</param>
/// <param name="Config">The task's fields as written.</param>
public sealed record CustomBody(string KindName, JsonElement Config) : TaskBody
{
    /// <inheritdoc />
    public override string Kind => KindName;
}

/// <summary>An image generation (OpenAI Images API or the simulator); the images are saved as run artifacts.</summary>
public sealed record ImageBody : TaskBody
{
    /// <summary>The model used when the task names none. Not the plan's default model: that one is for chat.</summary>
    public const string DefaultModel = "gpt-image-1";

    /// <inheritdoc />
    public override string Kind => "image";

    /// <summary>Provider name from the plan's <c>providers</c>; null takes the default.</summary>
    public string? Provider { get; init; }

    /// <summary>Image model id; null takes <see cref="DefaultModel"/>.</summary>
    public string? Model { get; init; }

    /// <summary>Image description template.</summary>
    public required string Prompt { get; init; }

    /// <summary><c>WIDTHxHEIGHT</c> (<c>1024x1024</c>, <c>1536x1024</c>…) or <c>auto</c>; null leaves it to the provider.</summary>
    public string? Size { get; init; }

    /// <summary><c>low</c>, <c>medium</c>, <c>high</c>, <c>auto</c> (gpt-image-1) or <c>standard</c>/<c>hd</c> (dall-e-3); null leaves it to the provider.</summary>
    public string? Quality { get; init; }

    /// <summary>How many images to generate (1–10).</summary>
    public int Count { get; init; } = 1;

    /// <inheritdoc />
    public override IEnumerable<(string Field, string Template)> Templates()
    {
        yield return ("prompt", Prompt);
    }
}
