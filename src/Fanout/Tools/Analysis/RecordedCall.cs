using System.Text.Json;
using Fanout.Footprints;

namespace Fanout.Tools.Analysis;

/// <summary>One tool call of a recorded session, with the footprint inferred for it and how.</summary>
public sealed record RecordedCall
{
    /// <summary>Position in the session, from 0.</summary>
    public int Index { get; init; }

    /// <summary>The tool's name.</summary>
    public required string Tool { get; init; }

    /// <summary>A short description: the tool and its main argument (<c>Read src/a.cs</c>).</summary>
    public required string Summary { get; init; }

    /// <summary>The call's arguments as recorded.</summary>
    public JsonElement Args { get; init; }

    /// <summary>When it started, when known.</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>How long it took (0 when the recording does not say).</summary>
    public double DurationMs { get; init; }

    /// <summary>What it read and wrote.</summary>
    public required Footprint Footprint { get; init; }

    /// <summary>How the footprint was found: <c>recorded</c>, <c>from arguments</c>, or why it is everything.</summary>
    public required string Inference { get; init; }

    /// <summary>Whether the footprint is a guess of last resort (an unknown tool or a shell command): everything.</summary>
    public bool Unknown { get; init; }
}
