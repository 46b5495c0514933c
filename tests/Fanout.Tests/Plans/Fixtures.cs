namespace Fanout.Tests.Plans;

/// <summary>
/// Paths of the plan fixtures under tests/Fanout.Tests/Plans/Fixtures, found from the test binary by walking up to the
/// repository root, so tests read the checked-in files (and the CLI's tests can reuse them) without copying.
/// </summary>
internal static class Fixtures
{
    /// <summary>The directory holding Fanout.slnx.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Dir => Path.Combine(RepoRoot, "tests", "Fanout.Tests", "Plans", "Fixtures");

    public static string PathOf(string name) => Path.Combine(Dir, name);

    /// <summary>The diagnostics of loading fixture <paramref name="name"/> (fails the test if it loads).</summary>
    public static IReadOnlyList<PlanDiagnostic> Problems(string name) =>
        Assert.Throws<PlanException>(() => Fanout.Plans.PlanLoader.Load(PathOf(name))).Diagnostics;

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Fanout.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Fanout.slnx not found above {AppContext.BaseDirectory}");
    }
}
