using System.Text.Json;

namespace Fanout.Tests.Schema;

/// <summary>One test of the official JSON Schema Test Suite.</summary>
internal sealed record SuiteCase(string Name, string File, int Group, string GroupDescription, JsonElement Schema, JsonElement Data, bool Valid);

/// <summary>
/// Reads the official JSON Schema Test Suite (draft 2020-12). The suite is not copied into this repository: it sits
/// beside it, at <c>&lt;repo&gt;/../shared/json-schema-test-suite</c> (looked for in every ancestor directory, so a
/// git worktree nested deeper finds it too), or wherever <c>JSON_SCHEMA_TEST_SUITE</c> points.
/// </summary>
internal static class OfficialSuite
{
    private static readonly Lazy<(string? Directory, string[] Searched)> Location = new(Locate);
    private static readonly Lazy<Dictionary<string, SuiteCase>> AllCases = new(Load);

    public static string? Directory => Location.Value.Directory;

    public static string NotFoundMessage =>
        "The official JSON Schema Test Suite (draft2020-12) was not found. It must sit beside the repository, at "
        + "<repo>/../shared/json-schema-test-suite/draft2020-12, or JSON_SCHEMA_TEST_SUITE must point at a draft2020-12 "
        + "directory. Looked in: " + string.Join(", ", Location.Value.Searched);

    public static string RepositoryRoot
    {
        get
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

    /// <summary>Every case that runs, keyed by its display name ("file: group / test").</summary>
    public static IReadOnlyDictionary<string, SuiteCase> Cases => AllCases.Value;

    /// <summary>Suite files (relative, with '/') and the descriptions of their groups.</summary>
    public static IEnumerable<(string File, string[] Groups)> Files()
    {
        foreach (var path in SuiteFiles())
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            yield return (Relative(path), [.. document.RootElement.EnumerateArray().Select(g => g.GetProperty("description").GetString()!)]);
        }
    }

    private static (string?, string[]) Locate()
    {
        var searched = new List<string>();
        if (Environment.GetEnvironmentVariable("JSON_SCHEMA_TEST_SUITE") is { Length: > 0 } configured)
        {
            searched.Add(configured);
            if (System.IO.Directory.Exists(configured))
            {
                return (configured, [.. searched]);
            }
        }

        for (var dir = new DirectoryInfo(RepositoryRoot).Parent; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "json-schema-test-suite", "draft2020-12");
            searched.Add(candidate);
            if (System.IO.Directory.Exists(candidate))
            {
                return (candidate, [.. searched]);
            }
        }

        return (null, [.. searched]);
    }

    private static IEnumerable<string> SuiteFiles()
    {
        var root = Directory ?? throw new InvalidOperationException(NotFoundMessage);
        return new[] { root, Path.Combine(root, "optional"), Path.Combine(root, "optional", "format") }
            .Where(System.IO.Directory.Exists)
            .SelectMany(dir => System.IO.Directory.GetFiles(dir, "*.json"))
            .Order(StringComparer.Ordinal);
    }

    private static string Relative(string path) => Path.GetRelativePath(Directory!, path).Replace('\\', '/');

    private static Dictionary<string, SuiteCase> Load()
    {
        var cases = new Dictionary<string, SuiteCase>(StringComparer.Ordinal);
        if (Directory is null)
        {
            return cases;
        }

        foreach (var path in SuiteFiles())
        {
            var file = Relative(path);
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var groupIndex = 0;
            foreach (var group in document.RootElement.EnumerateArray())
            {
                var description = group.GetProperty("description").GetString()!;
                if (!SuiteSkips.Skips(file, description))
                {
                    foreach (var test in group.GetProperty("tests").EnumerateArray())
                    {
                        var name = $"{file}: {description} / {test.GetProperty("description").GetString()}";
                        for (var n = 2; cases.ContainsKey(name); n++)
                        {
                            name = $"{file}: {description} / {test.GetProperty("description").GetString()} ({n})";
                        }

                        cases[name] = new SuiteCase(name, file, groupIndex, description, group.GetProperty("schema").Clone(),
                            test.GetProperty("data").Clone(), test.GetProperty("valid").GetBoolean());
                    }
                }

                groupIndex++;
            }
        }

        return cases;
    }
}
