using System.Text.RegularExpressions;
using Fanout.Plans;

namespace Fanout.Tests.Plans;

/// <summary>Every plan example in docs/plan-format.md loads (or, marked <c># invalid</c>, fails), so the page cannot drift from the loader.</summary>
public partial class DocsTests
{
    public static TheoryData<int, string, string> Examples()
    {
        var text = File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "docs", "plan-format.md"));
        var data = new TheoryData<int, string, string>();
        var n = 0;
        foreach (Match m in FencedBlock().Matches(text))
        {
            var (language, body) = (m.Groups["lang"].Value, m.Groups["body"].Value);
            n++;
            if (language == "json" || body.Split('\n').Any(line => line.StartsWith("name:", StringComparison.Ordinal)))
            {
                data.Add(n, language, body);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Examples))]
    public void Plan_example_in_the_docs_behaves_as_documented(int block, string language, string body)
    {
        var file = $"example-{block}.{language}";
        if (body.StartsWith("# invalid", StringComparison.Ordinal))
        {
            Assert.Throws<PlanException>(() => PlanLoader.Parse(body, file, Fixtures.PathOf("full")));
        }
        else
        {
            var plan = PlanLoader.Parse(body, file, Fixtures.PathOf("full"));
            Assert.NotEmpty(plan.Tasks);
        }
    }

    [Fact]
    public void Docs_have_plan_examples_of_both_formats()
    {
        var languages = Examples().Select(row => (string)row[1]).ToList();
        Assert.Contains("yaml", languages);
        Assert.Contains("json", languages);
    }

    [Fact]
    public void Invalid_example_in_the_docs_reports_all_three_problems()
    {
        var body = Examples().Select(row => (string)row[2]).Single(b => b.StartsWith("# invalid: three problems", StringComparison.Ordinal));
        Assert.Equal(3, Load.Problems(body).Count);
    }

    [GeneratedRegex("^```(?<lang>yaml|json)\\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedBlock();
}
