using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Templates;

namespace Fanout.Tests.Templates;

/// <summary>Rendering templates over inputs, dependency results and fan-out items.</summary>
public class TemplateEngineTests
{
    private static readonly TemplateScope Scope = TemplateScope.Create(
        JsonSerializer.SerializeToElement(new { topic = "tides", html = "<b>\"A & B\"</b>", list = new[] { "a", "b" }, ratio = 1.5, cfg = new { } }),
        new Dictionary<string, JsonNode?>
        {
            ["plan"] = JsonNode.Parse("""{"status": "succeeded", "output": {"title": "Moon", "pages": ["p0", "p1"], "n": 3}, "error": null}"""),
            ["bad"] = JsonNode.Parse("""{"status": "failed", "output": null, "error": "quota"}"""),
        },
        item: JsonSerializer.SerializeToElement(new { name = "ebb" }),
        index: 2,
        itemName: "wave");

    private static string Render(string template) => TemplateEngine.Render(template, Scope);

    [Fact]
    public void Renders_inputs_task_outputs_and_the_fan_out_item()
    {
        Assert.Equal("tides / Moon / ebb ebb #2",
            Render("{{inputs.topic}} / {{tasks.plan.output.title}} / {{item.name}} {{wave.name}} #{{index}}"));
    }

    [Fact]
    public void Renders_array_elements_by_index()
    {
        Assert.Equal("p1", Render("{{tasks.plan.output.pages.[1]}}"));
    }

    [Fact]
    public void Renders_status_and_error_of_a_dependency()
    {
        Assert.Equal("failed: quota", Render("{{tasks.bad.status}}: {{tasks.bad.error}}"));
    }

    [Fact]
    public void Plain_text_is_returned_unchanged()
    {
        Assert.Equal("no templates {here}", Render("no templates {here}"));
    }

    [Fact]
    public void Unguarded_missing_path_fails_naming_the_path_and_what_resolved()
    {
        var e = Assert.Throws<TemplateException>(() => Render("Title: {{tasks.plan.output.subtitle}}"));
        Assert.Equal("'tasks.plan.output.subtitle' is undefined: 'tasks.plan.output' has no 'subtitle'", e.Message);
    }

    [Fact]
    public void Missing_root_fails_saying_it_is_not_in_scope()
    {
        var e = Assert.Throws<TemplateException>(() => Render("{{outputs.plan}}"));
        Assert.Equal("'outputs.plan' is undefined: 'outputs' is not in scope", e.Message);
    }

    [Fact]
    public void Missing_path_inside_an_object_input_fails_too()
    {
        var e = Assert.Throws<TemplateException>(() => Render("{{inputs.cfg.model}}"));
        Assert.Equal("'inputs.cfg.model' is undefined: 'inputs.cfg' has no 'model'", e.Message);
    }

    [Fact]
    public void If_block_guards_a_missing_path()
    {
        Assert.Equal("none", Render("{{#if tasks.plan.output.subtitle}}{{tasks.plan.output.subtitle}}{{else}}none{{/if}}"));
        Assert.Equal("Moon", Render("{{#if tasks.plan.output.title}}{{tasks.plan.output.title}}{{else}}none{{/if}}"));
    }

    [Fact]
    public void Json_helper_writes_values_as_json()
    {
        Assert.Equal("""{"title":"Moon","pages":["p0","p1"],"n":3}""", Render("{{json tasks.plan.output}}"));
        Assert.Equal("""["a","b"]""", Render("{{json inputs.list}}"));
        Assert.Equal("\"tides\"", Render("{{json inputs.topic}}"));
        Assert.Equal("3", Render("{{json tasks.plan.output.n}}"));
        Assert.Equal("null", Render("{{json tasks.bad.output}}"));
    }

    [Fact]
    public void Objects_and_arrays_render_as_json()
    {
        Assert.Equal("""{"title":"Moon","pages":["p0","p1"],"n":3} ["a","b"]""", Render("{{tasks.plan.output}} {{inputs.list}}"));
    }

    [Fact]
    public void Booleans_render_in_lower_case()
    {
        var scope = TemplateScope.Create(JsonSerializer.SerializeToElement(new { yes = true, no = false }), new Dictionary<string, JsonNode?>());

        Assert.Equal("true/false", TemplateEngine.Render("{{inputs.yes}}/{{inputs.no}}", scope));
    }

    [Fact]
    public void Array_length_renders_like_in_handlebars_js()
    {
        Assert.Equal("2 pages", Render("{{tasks.plan.output.pages.length}} pages"));
    }

    [Fact]
    public void Html_is_not_escaped()
    {
        Assert.Equal("<b>\"A & B\"</b>", Render("{{inputs.html}}"));
    }

    [Fact]
    public void Numbers_render_in_invariant_culture()
    {
        Assert.Equal("1.5 3", Render("{{inputs.ratio}} {{tasks.plan.output.n}}"));
    }

    [Fact]
    public void Each_block_iterates_an_array()
    {
        Assert.Equal("0=a;1=b;", Render("{{#each inputs.list}}{{@index}}={{this}};{{/each}}"));
    }

    [Fact]
    public void Eq_helper_compares_values()
    {
        Assert.Equal("retry", Render("{{#if (eq tasks.bad.status \"failed\")}}retry{{else}}fine{{/if}}"));
    }

    [Fact]
    public void Syntax_error_is_a_template_exception()
    {
        Assert.Throws<TemplateException>(() => Render("{{#if inputs.topic}}unclosed"));
        Assert.NotNull(TemplateEngine.SyntaxError("{{#each inputs.list}}"));
        Assert.Null(TemplateEngine.SyntaxError("{{inputs.topic}}"));
    }
}
