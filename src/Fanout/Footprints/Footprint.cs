using System.Collections.Immutable;

namespace Fanout.Footprints;

/// <summary>
/// What a task or tool call reads and writes. Two footprints conflict when one writes something the other reads or
/// writes (<see cref="ConflictWith"/>); everything else may run at the same time and give the same results as running
/// one after the other. Immutable.
/// </summary>
public sealed record Footprint
{
    /// <summary>Touches nothing: runs alongside anything.</summary>
    public static Footprint None { get; } = new();

    /// <summary>May read and write anything: an unknown tool, a shell command. Conflicts with every footprint but
    /// <see cref="None"/>.</summary>
    public static Footprint Everything { get; } = new() { Reads = [Resource.Everything], Writes = [Resource.Everything] };

    /// <summary>Resources read.</summary>
    public ImmutableArray<Resource> Reads { get; init; } = [];

    /// <summary>Resources written (a write also counts as touching: two writes conflict).</summary>
    public ImmutableArray<Resource> Writes { get; init; } = [];

    /// <summary>Whether it touches nothing.</summary>
    public bool IsEmpty => Reads.IsEmpty && Writes.IsEmpty;

    /// <summary>A footprint from resources as written (see <see cref="Resource.Parse"/>).</summary>
    /// <param name="reads">What is read.</param>
    /// <param name="writes">What is written.</param>
    /// <param name="baseDirectory">Relative paths are joined to this directory; null leaves them relative.</param>
    public static Footprint Of(IEnumerable<string>? reads, IEnumerable<string>? writes, string? baseDirectory = null) => new()
    {
        Reads = [.. (reads ?? []).Select(r => Resource.Parse(r, baseDirectory)).Distinct()],
        Writes = [.. (writes ?? []).Select(w => Resource.Parse(w, baseDirectory)).Distinct()],
    };

    /// <summary>Reads <paramref name="resources"/> and writes nothing.</summary>
    public static Footprint Reading(params string[] resources) => Of(resources, null);

    /// <summary>Writes <paramref name="resources"/> and reads nothing.</summary>
    public static Footprint Writing(params string[] resources) => Of(null, resources);

    /// <summary>Both footprints' resources.</summary>
    public Footprint Union(Footprint other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new() { Reads = [.. Reads.Union(other.Reads)], Writes = [.. Writes.Union(other.Writes)] };
    }

    /// <summary>
    /// Why <paramref name="later"/> (which comes after this one in declaration or call order) must wait for this
    /// one, or null when they may run at the same time: it reads what this writes (read-after-write), writes what this
    /// reads (write-after-read), or writes what this writes too (write-after-write), checked in that order.
    /// </summary>
    public FootprintConflict? ConflictWith(Footprint later, PathCase pathCase = PathCase.Sensitive)
    {
        ArgumentNullException.ThrowIfNull(later);
        return First(ConflictKind.ReadAfterWrite, Writes, later.Reads, pathCase)
            ?? First(ConflictKind.WriteAfterRead, Reads, later.Writes, pathCase)
            ?? First(ConflictKind.WriteAfterWrite, Writes, later.Writes, pathCase);
    }

    private static FootprintConflict? First(ConflictKind kind, ImmutableArray<Resource> earlier, ImmutableArray<Resource> later, PathCase pathCase)
    {
        foreach (var e in earlier)
        {
            foreach (var l in later)
            {
                if (e.Overlaps(l, pathCase))
                {
                    return new FootprintConflict(kind, e, l);
                }
            }
        }

        return null;
    }

    /// <inheritdoc />
    public bool Equals(Footprint? other) =>
        other is not null && Reads.SequenceEqual(other.Reads) && Writes.SequenceEqual(other.Writes);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Reads.Length, Writes.Length);

    /// <inheritdoc />
    public override string ToString() =>
        $"reads [{string.Join(", ", Reads)}] writes [{string.Join(", ", Writes)}]";
}

/// <summary>The kind of ordering a conflict imposes (the later one waits).</summary>
public enum ConflictKind
{
    /// <summary>The later one reads what the earlier one writes.</summary>
    ReadAfterWrite,

    /// <summary>The later one writes what the earlier one reads.</summary>
    WriteAfterRead,

    /// <summary>Both write it.</summary>
    WriteAfterWrite,
}

/// <summary>Why two footprints conflict: the kind and the overlapping resources of each side.</summary>
/// <param name="Kind">Read-after-write, write-after-read or write-after-write.</param>
/// <param name="Earlier">The earlier side's resource.</param>
/// <param name="Later">The later side's resource.</param>
public sealed record FootprintConflict(ConflictKind Kind, Resource Earlier, Resource Later)
{
    /// <summary>The kind as reports write it: <c>read-after-write</c>, <c>write-after-read</c>, <c>write-after-write</c>.</summary>
    public string KindName => Kind switch
    {
        ConflictKind.ReadAfterWrite => "read-after-write",
        ConflictKind.WriteAfterRead => "write-after-read",
        _ => "write-after-write",
    };

    /// <summary>One line for people: <c>read-after-write: 'b' reads out/a.txt, which 'a' writes (out/)</c>.</summary>
    public string Describe(string earlier, string later)
    {
        var (laterVerb, earlierVerb) = Kind switch
        {
            ConflictKind.ReadAfterWrite => ("reads", "writes"),
            ConflictKind.WriteAfterRead => ("writes", "reads"),
            _ => ("writes", "writes"),
        };
        var what = Earlier.Equals(Later) ? $"{Later}, which '{earlier}' {earlierVerb}" : $"{Later}, which overlaps {Earlier} that '{earlier}' {earlierVerb}";
        return $"{KindName}: '{later}' {laterVerb} {what}";
    }
}
