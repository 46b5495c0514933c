namespace Fanout;

/// <summary>A position in a plan file, 1-based, for error messages (<c>file:line:column</c>).</summary>
/// <param name="File">The plan file's path as the user gave it, or a label such as <c>&lt;builder&gt;</c>.</param>
/// <param name="Line">1-based line.</param>
/// <param name="Column">1-based column.</param>
public sealed record SourceLocation(string File, int Line, int Column)
{
    /// <inheritdoc />
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>One problem found in a plan or its inputs.</summary>
/// <param name="Message">What is wrong, and where possible how to fix it.</param>
/// <param name="Location">Where, when known.</param>
public sealed record PlanDiagnostic(string Message, SourceLocation? Location = null)
{
    /// <inheritdoc />
    public override string ToString() => Location is null ? $"error: {Message}" : $"{Location}: error: {Message}";
}

/// <summary>Thrown when a plan or its inputs are invalid; carries every problem found, not just the first.</summary>
public sealed class PlanException : Exception
{
    /// <summary>Creates the exception from one or more diagnostics.</summary>
    public PlanException(IReadOnlyList<PlanDiagnostic> diagnostics)
        : base(string.Join(Environment.NewLine, diagnostics))
    {
        Diagnostics = diagnostics;
    }

    /// <summary>Creates the exception from one message.</summary>
    public PlanException(string message, SourceLocation? location = null)
        : this([new PlanDiagnostic(message, location)])
    {
    }

    /// <summary>Every problem found.</summary>
    public IReadOnlyList<PlanDiagnostic> Diagnostics { get; }
}
