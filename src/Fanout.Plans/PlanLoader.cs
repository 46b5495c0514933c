namespace Fanout.Plans;

/// <summary>Reads plan files (YAML or JSON) into <see cref="PlanDefinition"/>s. Every error carries file:line:column.</summary>
public static class PlanLoader
{
    /// <summary>Loads the plan at <paramref name="path"/>; throws <see cref="PlanException"/> listing every problem.</summary>
    public static PlanDefinition Load(string path) => throw new NotImplementedException();

    /// <summary>Parses plan text; <paramref name="fileName"/> labels locations, <paramref name="baseDirectory"/> resolves relative paths.</summary>
    public static PlanDefinition Parse(string text, string fileName, string? baseDirectory = null) => throw new NotImplementedException();
}
