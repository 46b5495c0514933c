using System.Text.Json;
using Fanout.Schema;

namespace Fanout.Tests.Schema;

/// <summary>Runs the official JSON Schema Test Suite (draft 2020-12), one xunit case per suite test.</summary>
public class OfficialSuiteTests
{
    private const string SuiteMissing = "(the JSON Schema Test Suite was not found)";

    private static readonly Dictionary<(string, int), JsonSchema> Compiled = [];

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        if (OfficialSuite.Directory is null)
        {
            data.Add(SuiteMissing); // fail loudly rather than run zero cases
            return data;
        }

        foreach (var name in OfficialSuite.Cases.Keys)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Suite_case_gives_the_expected_verdict(string name)
    {
        Assert.True(name != SuiteMissing, OfficialSuite.NotFoundMessage);
        var test = OfficialSuite.Cases[name];
        var schema = Compile(test);

        var result = schema.Validate(test.Data);

        var expected = test.Valid ? "valid" : "invalid";
        Assert.True(result.IsValid == test.Valid,
            $"expected {expected}\nschema: {test.Schema.GetRawText()}\ndata: {test.Data.GetRawText()}\nerrors: {string.Join("; ", result.Errors)}");
        Assert.Equal(test.Valid, result.Errors.Count == 0);
        Assert.Equal(test.Valid, schema.IsValid(test.Data)); // the short-circuiting path agrees
    }

    [Fact]
    public void Suite_is_found_beside_the_repository()
    {
        Assert.True(OfficialSuite.Directory is not null, OfficialSuite.NotFoundMessage);
    }

    [Fact]
    public void Every_skip_names_a_file_or_group_that_exists_in_the_suite()
    {
        Assert.True(OfficialSuite.Directory is not null, OfficialSuite.NotFoundMessage);
        var files = OfficialSuite.Files().ToDictionary(f => f.File, f => f.Groups);
        var stale = SuiteSkips.All
            .Where(s => !files.TryGetValue(s.File, out var groups) || (s.Group is not null && !groups.Contains(s.Group)))
            .Select(s => $"{s.File}: {s.Group ?? "*"}");
        Assert.Empty(stale);
    }

    [Fact]
    public void Skip_list_in_the_docs_matches_the_tests()
    {
        var documented = DocumentedSkips(Path.Combine(OfficialSuite.RepositoryRoot, "docs", "json-schema.md"));
        var tested = SuiteSkips.All.Select(s => $"{s.File} | {s.Group ?? "*"}").Order(StringComparer.Ordinal);
        Assert.Equal(tested, documented.Order(StringComparer.Ordinal));
    }

    /// <summary>Rows "| `file` | group or * | reason |" of the table under "## Test suite skip list".</summary>
    private static IEnumerable<string> DocumentedSkips(string path)
    {
        var inSection = false;
        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("## ", StringComparison.Ordinal))
            {
                inSection = line.StartsWith("## Test suite skip list", StringComparison.Ordinal);
                continue;
            }

            if (inSection && line.StartsWith("| `", StringComparison.Ordinal))
            {
                var cells = line.Split('|', StringSplitOptions.TrimEntries);
                yield return $"{cells[1].Trim('`')} | {cells[2]}";
            }
        }
    }

    private static JsonSchema Compile(SuiteCase test)
    {
        lock (Compiled)
        {
            if (!Compiled.TryGetValue((test.File, test.Group), out var schema))
            {
                // format.json checks the 2020-12 default (format is an annotation); every other file runs with
                // Fanout's default, which asserts the formats it knows (optional/format/*).
                var options = new JsonSchemaOptions { AssertFormat = test.File != "format.json" };
                schema = JsonSchema.Parse(test.Schema, options);
                Compiled[(test.File, test.Group)] = schema;
            }

            return schema;
        }
    }
}
