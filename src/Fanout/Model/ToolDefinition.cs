using System.Collections.Immutable;
using System.Text.Json;

namespace Fanout;

/// <summary>
/// A tool a <c>prompt</c> task offers its model (an entry of <c>tools:</c>): a command whose argv, footprint and
/// compensation are templates over the call's arguments (<c>{{args.path}}</c>), each rendered element exactly one
/// argument. How it is run is up to the tool factory the <see cref="PromptExecutor"/> is given (Fanout.Execution's
/// <c>PlanTools</c>: a process).
/// </summary>
public sealed record ToolDefinition
{
    /// <summary>Rounds of tool calls a prompt task may make when it sets no <c>max_tool_rounds</c>.</summary>
    public const int DefaultMaxRounds = 8;

    /// <summary>The name the model calls it by.</summary>
    public required string Name { get; init; }

    /// <summary>What it does, for the model.</summary>
    public string Description { get; init; } = "";

    /// <summary>JSON Schema of its arguments, sent to the model; null: an object of anything.</summary>
    public JsonElement? Parameters { get; init; }

    /// <summary>The command for one call: templates over <c>args</c>.</summary>
    public ImmutableArray<string> Argv { get; init; } = [];

    /// <summary>What a call reads: templates over <c>args</c>, relative to <see cref="BaseDirectory"/>. With neither
    /// reads nor writes a call is assumed to touch everything.</summary>
    public ImmutableArray<string> Reads { get; init; } = [];

    /// <summary>What a call writes, as <see cref="Reads"/>.</summary>
    public ImmutableArray<string> Writes { get; init; } = [];

    /// <summary>The command that undoes a successful call (templates over the same <c>args</c>); empty: none.</summary>
    public ImmutableArray<string> Compensate { get; init; } = [];

    /// <summary>Per-call time limit; null: the task's own timeout bounds it.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Plan pools a call holds while it runs (sized as in the plan, within each round).</summary>
    public ImmutableArray<string> Pools { get; init; } = [];

    /// <summary>Where the command runs and relative footprints resolve: the plan's directory; null: the current one.</summary>
    public string? BaseDirectory { get; init; }
}
