using System.Collections.Immutable;

namespace Fanout;

/// <summary>One input of a <see cref="SectionsMergeBody"/>: the prompt type a task's result fills.</summary>
/// <param name="Type">One of <see cref="SectionsMergeBody.Types"/>.</param>
/// <param name="Task">The id of the task (a dependency) whose result it is.</param>
public sealed record MergeSection(string Type, string Task);

/// <summary>
/// The built-in <c>sections</c> merge: combines focused SEO prompt results into seed 000's V1-compatible response
/// (<c>head</c>, <c>blocks</c>, <c>links</c>, <c>alts</c>, <c>schema</c>, <c>confidence</c>, <c>notes</c>) plus
/// <c>v2_metadata</c>. Meant for <c>after: settled</c>: a failed section becomes a note instead of failing the merge.
/// </summary>
public sealed record SectionsMergeBody : TaskBody
{
    /// <summary>The prompt types the merge knows, in the seed's order.</summary>
    public static ImmutableArray<string> Types { get; } = ["head", "links", "content", "images", "schema"];

    /// <inheritdoc />
    public override string Kind => "merge";

    /// <summary>The sections in the order their notes are collected.</summary>
    public ImmutableArray<MergeSection> Sections { get; init; } = [];
}
