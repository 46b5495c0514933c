using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using Fanout.Tests.Plans;

namespace Fanout.Tests.Architecture;

/// <summary>What one production project needs of another is public on purpose, and each library's public API is
/// written down in its PublicAPI.*.txt (the analyzer fails the build on anything public left out). Internals may be
/// shown only to the tests and the benchmarks.</summary>
public sealed class ProjectBoundaryTests
{
    private static readonly string[] MaySeeInternals = ["Fanout.Tests", "Fanout.Bench"];

    /// <summary>Every project under src/: its assembly name, whether it is the exe, and its directory.</summary>
    private static IReadOnlyList<(string Name, bool IsExe, string Directory)> ProductionProjects() =>
        [.. Directory.GetFiles(Path.Combine(Fixtures.RepoRoot, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(path =>
            {
                var project = XDocument.Load(path);
                var isExe = project.Descendants("OutputType").Any(e => e.Value.Trim() == "Exe");
                return (Path.GetFileNameWithoutExtension(path), isExe, Path.GetDirectoryName(path)!);
            })
            .OrderBy(p => p.Item1, StringComparer.Ordinal)];

    /// <summary>Every project an assembly grants its internals to, from its compiled attributes (csproj items and
    /// <c>[assembly: InternalsVisibleTo]</c> in code alike).</summary>
    private static IEnumerable<string> Grantees(string assembly) =>
        Assembly.Load(assembly).GetCustomAttributes<InternalsVisibleToAttribute>().Select(a => a.AssemblyName.Split(',')[0].Trim());

    [Fact]
    public void No_production_project_shows_its_internals_to_another_production_project()
    {
        var grants = ProductionProjects().SelectMany(p => Grantees(p.Name).Select(to => (From: p.Name, To: to))).ToList();

        Assert.DoesNotContain(grants, g => !MaySeeInternals.Contains(g.To));
    }

    [Fact]
    public void The_internals_scan_sees_the_grants_to_the_tests()
    {
        // The scan must be able to fail: the core does show its internals to the tests.
        Assert.Contains("Fanout.Tests", Grantees("Fanout"));
        Assert.Contains(ProductionProjects(), p => p.Name == "Fanout.Storage.Postgres");
    }

    [Fact]
    public void No_project_file_under_src_names_a_production_project_in_InternalsVisibleTo()
    {
        // Also read from the files, so a project the tests do not load is checked too.
        var grants = Directory.GetFiles(Path.Combine(Fixtures.RepoRoot, "src"), "*.csproj", SearchOption.AllDirectories)
            .SelectMany(path => XDocument.Load(path).Descendants("InternalsVisibleTo")
                .Select(e => (Project: Path.GetFileName(path), To: (string?)e.Attribute("Include") ?? "")))
            .ToList();

        Assert.NotEmpty(grants);
        Assert.DoesNotContain(grants, g => !MaySeeInternals.Contains(g.To));
    }

    [Fact]
    public void Every_library_under_src_lists_its_public_api_and_the_exe_does_not()
    {
        foreach (var (name, isExe, directory) in ProductionProjects())
        {
            var shipped = Path.Combine(directory, "PublicAPI.Shipped.txt");
            var unshipped = Path.Combine(directory, "PublicAPI.Unshipped.txt");
            if (isExe)
            {
                Assert.False(File.Exists(unshipped), $"{name} is the exe: its types are its own, not an API");
                continue;
            }

            Assert.True(File.Exists(shipped), $"{name} has no PublicAPI.Shipped.txt");
            Assert.True(File.Exists(unshipped), $"{name} has no PublicAPI.Unshipped.txt");
            Assert.StartsWith("#nullable enable", File.ReadAllText(shipped), StringComparison.Ordinal);
        }
    }
}
