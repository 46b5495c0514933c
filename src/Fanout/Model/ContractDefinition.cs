using System.Collections.Immutable;
using System.Text.Json;

namespace Fanout;

/// <summary>
/// A contract between tasks: the shape of what <see cref="Producer"/> outputs and <see cref="Consumers"/> read. Checked
/// when the plan is validated (consumers only read fields the schema provides) and at run time on the producer's output.
/// </summary>
public sealed record ContractDefinition
{
    /// <summary>Contract name, used in messages.</summary>
    public required string Name { get; init; }

    /// <summary>Id of the task whose output the contract describes.</summary>
    public required string Producer { get; init; }

    /// <summary>Ids of the tasks that read the producer's output; each must list the producer in <c>needs</c>.</summary>
    public ImmutableArray<string> Consumers { get; init; } = [];

    /// <summary>JSON Schema (draft 2020-12) the producer's output must satisfy; unset for a <see cref="File"/> contract.</summary>
    public JsonElement Schema { get; init; }

    /// <summary>
    /// For agents in worktrees: the JSON Schema file (a path in the repository) that the producer writes on its
    /// branch. Each consumer's <see cref="ConsumerFiles"/> file (else its JSON output) is checked against it when the
    /// consumer finishes, and a violation fails the consumer. Null for a contract on the producer's output.
    /// </summary>
    public string? File { get; init; }

    /// <summary>For a <see cref="File"/> contract: the file each consumer writes that must follow the schema, by consumer id.</summary>
    public ImmutableDictionary<string, string> ConsumerFiles { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Where the contract is declared.</summary>
    public SourceLocation? Location { get; init; }

    /// <summary>Where <c>producer</c>, <c>consumers[i]</c> and <c>schema</c> were written.</summary>
    public ImmutableDictionary<string, SourceLocation> Locations { get; init; } =
        ImmutableDictionary<string, SourceLocation>.Empty;

    /// <summary>The location of <paramref name="field"/>, else of the contract itself.</summary>
    public SourceLocation? Locate(string field) => Locations.TryGetValue(field, out var at) ? at : Location;
}
