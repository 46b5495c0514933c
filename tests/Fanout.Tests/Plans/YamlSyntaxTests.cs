namespace Fanout.Tests.Plans;

public class YamlSyntaxTests
{
    [Fact]
    public void Bad_indentation_gives_one_readable_diagnostic_at_the_parser_position()
    {
        var d = Load.Problem("""
            name: p
            tasks:
              - id: a
                prompt: hi
               needs: [b]
            """);
        Assert.StartsWith("invalid YAML: bad indentation", d.Message);
        Assert.Contains("(parser: while parsing a block collection, did not find expected '-' indicator)", d.Message);
        Assert.Equal("5:4", d.At());
    }

    [Fact]
    public void Colon_inside_a_plain_value_advises_quoting()
    {
        var d = Load.Problem("""
            name: p
            tasks:
              - id: a
                prompt: Note: be brief
            """);
        Assert.StartsWith("invalid YAML: unexpected ':' in a value; quote values that contain ': '", d.Message);
        Assert.Equal(4, d.Location!.Line);
    }

    [Fact]
    public void Tab_indentation_is_located_at_the_tab()
    {
        var d = Load.Problem("name: p\ntasks:\n\t- id: a\n");
        Assert.StartsWith("invalid YAML: tabs cannot indent YAML; use spaces", d.Message);
        Assert.Equal("3:1", d.At());
    }

    [Fact]
    public void Unclosed_bracket_is_reported_without_crashing()
    {
        var d = Load.Problem("name: p\ntasks: [{ id: a, prompt: hi }\nother: 3\n");
        Assert.StartsWith("invalid YAML", d.Message);
        Assert.NotNull(d.Location);
    }

    [Fact]
    public void Second_document_is_reported()
    {
        var d = Load.Problem("""
            name: p
            tasks: [{ id: a, prompt: hi }]
            ---
            name: q
            """);
        Assert.StartsWith("a plan file holds one YAML document", d.Message);
        Assert.Equal("3:1", d.At());
    }

    [Fact]
    public void Empty_file_is_reported()
    {
        Assert.Equal("the plan is empty: it needs at least 'name' and 'tasks'", Load.Problem("# nothing yet\n").Message);
    }

    [Fact]
    public void Plan_that_is_not_a_mapping_is_reported()
    {
        Assert.Equal("a plan must be an object (a mapping) with 'name' and 'tasks', got array", Load.Problem("[1, 2]").Message);
    }

    [Fact]
    public void Unknown_alias_is_reported()
    {
        var d = Load.Problem("""
            name: p
            tasks: [{ id: a, prompt: *missing }]
            """);
        Assert.Equal("unknown alias '*missing': define '&missing' before using it", d.Message);
    }

    [Fact]
    public void Json_syntax_error_has_a_location()
    {
        var d = Load.Problem("{\n  \"name\": \"p\"\n  \"tasks\": []\n}\n", file: "plan.json");
        Assert.StartsWith("invalid JSON: a '{' mapping is not closed, or an entry lacks a ','", d.Message);
        Assert.Equal("plan.json", d.Location!.File);
        Assert.Equal(3, d.Location.Line);
    }

    [Fact]
    public void Json_indented_with_tabs_loads()
    {
        var plan = Fanout.Plans.PlanLoader.Parse("{\n\t\"name\": \"p\",\n\t\"tasks\": [\n\t\t{ \"id\": \"a\", \"prompt\": \"hi\\tthere\" }\n\t]\n}\n", "plan.json");
        Assert.Equal("hi\tthere", Assert.IsType<PromptBody>(plan.Tasks[0].Body).Prompt);
    }

    [Fact]
    public void Scalars_follow_the_yaml_1_2_core_schema()
    {
        var plan = Load.Yaml("""
            name: p
            inputs:
              a: { default: no }
              b: { default: 0x10 }
              c: { default: "12" }
              d: { default: ~ }
              e: { default: 1.50 }
              f: { default: TRUE }
            tasks: [{ id: t, prompt: hi }]
            """);
        Assert.Equal(
            ["\"no\"", "16", "\"12\"", "null", "1.50", "true"],
            plan.Inputs.Select(i => i.Default!.Value.GetRawText()));
    }
}
