using Fanout.Plans.Yaml;
using Fanout.Tests.Plans;

namespace Fanout.Tests.Seo;

/// <summary>How plans write the sections merge, and what the loader rejects.</summary>
public class SectionsPlanTests
{
    private const string Prompts = """
        name: p
        tasks:
          - { id: head, prompt: "Head.", output: json }
          - { id: deep_links, prompt: "Links.", output: json }

        """;

    [Fact]
    public void List_of_ids_names_sections_after_their_tasks()
    {
        var plan = Load.Yaml(Prompts.Replace("deep_links", "links", StringComparison.Ordinal) + """
              - { id: result, needs: [head, links], after: settled, sections: [head, links] }
            """);

        var body = Assert.IsType<SectionsMergeBody>(plan.Tasks.Single(t => t.Id == "result").Body);
        Assert.Equal([new MergeSection("head", "head"), new MergeSection("links", "links")], body.Sections.ToArray());
        Assert.Equal("merge", plan.Tasks.Single(t => t.Id == "result").Kind);
    }

    [Fact]
    public void Mapping_names_the_task_of_each_type_in_order()
    {
        var plan = Load.Yaml(Prompts + """
              - id: result
                needs: [head, deep_links]
                after: settled
                sections: { links: deep_links, head: head }
            """);

        var body = Assert.IsType<SectionsMergeBody>(plan.Tasks.Single(t => t.Id == "result").Body);
        Assert.Equal([new MergeSection("links", "deep_links"), new MergeSection("head", "head")], body.Sections.ToArray());
    }

    [Fact]
    public void Unknown_section_type_is_an_error_with_a_suggestion()
    {
        var problem = Load.Problem(Prompts + """
              - { id: result, needs: [head, deep_links], after: settled, sections: { head: head, link: deep_links } }
            """);

        Assert.Contains("'link' is not a section type", problem.Message, StringComparison.Ordinal);
        Assert.Contains("links", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sections_merge_without_after_settled_is_an_error()
    {
        var problem = Load.Problem(Prompts + """
              - { id: result, needs: [head, deep_links], sections: { head: head, links: deep_links } }
            """);

        Assert.Contains("needs 'after: settled'", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Section_task_missing_from_needs_is_an_error()
    {
        var problem = Load.Problem(Prompts + """
              - { id: result, needs: [head], after: settled, sections: { head: head, links: deep_links } }
            """);

        Assert.Contains("'deep_links', which 'needs' must list too", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_and_sections_together_are_an_error()
    {
        var problem = Load.Problem(Prompts + """
              - { id: result, needs: [head], after: settled, sections: [head], merge: { a: 1 } }
            """);

        Assert.Contains("either 'merge'", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("examples/seo-optimizer/plan.yaml", true)]
    [InlineData(null, false)]
    public void Plan_schema_accepts_the_seo_example_and_rejects_merge_with_sections(string? path, bool valid)
    {
        var text = path is null
            ? Prompts + "  - { id: result, needs: [head], after: settled, sections: [head], merge: { a: 1 } }\n"
            : File.ReadAllText(Path.Combine(Fixtures.RepoRoot, path));
        var diagnostics = new List<PlanDiagnostic>();
        var plan = JsonConversion.ToElement(NodeReader.Read(text, "plan.yaml", diagnostics)!);
        var schema = CompiledSchema.Compile(File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "schema", "plan.schema.json")));

        var errors = schema.Validate(plan);

        Assert.Empty(diagnostics);
        Assert.True(errors.Count == 0 == valid, string.Join("; ", errors));
    }
}
