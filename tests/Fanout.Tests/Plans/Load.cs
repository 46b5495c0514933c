using Fanout.Plans;

namespace Fanout.Tests.Plans;

/// <summary>Short ways to load plan text in tests.</summary>
internal static class Load
{
    public static PlanDefinition Yaml(string yaml, string? baseDirectory = null) => PlanLoader.Parse(yaml, "plan.yaml", baseDirectory);

    /// <summary>Every diagnostic of loading <paramref name="yaml"/> (fails the test if it loads).</summary>
    public static IReadOnlyList<PlanDiagnostic> Problems(string yaml, string file = "plan.yaml", string? baseDirectory = null) =>
        Assert.Throws<PlanException>(() => PlanLoader.Parse(yaml, file, baseDirectory)).Diagnostics;

    /// <summary>The one diagnostic of loading <paramref name="yaml"/>.</summary>
    public static PlanDiagnostic Problem(string yaml, string file = "plan.yaml", string? baseDirectory = null) =>
        Assert.Single(Problems(yaml, file, baseDirectory));

    /// <summary>"line:column" of a diagnostic.</summary>
    public static string At(this PlanDiagnostic d) => d.Location is { } l ? $"{l.Line}:{l.Column}" : "-";
}
