using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Templates;

namespace Fanout.Tests.Templates;

/// <summary>JSON templates used by merge tasks.</summary>
public class JsonTemplateTests
{
    private static readonly TemplateScope Scope = TemplateScope.Create(
        JsonSerializer.SerializeToElement(new { lang = "en" }),
        new Dictionary<string, JsonNode?>
        {
            ["a"] = JsonNode.Parse("""{"status": "succeeded", "output": {"pages": [1, 2], "meta": {"x": 1, "y": 1}}}"""),
            ["b"] = JsonNode.Parse("""{"status": "succeeded", "output": {"pages": [3], "meta": {"y": 2}}}"""),
        });

    private static string Eval(string template) =>
        JsonTemplate.Evaluate(JsonDocument.Parse(template).RootElement, Scope)!.ToJsonString();

    [Fact]
    public void Whole_path_string_becomes_the_json_value()
    {
        Assert.Equal("""{"p":[1,2],"label":"lang=en"}""", Eval("""{"p": "{{tasks.a.output.pages}}", "label": "lang={{inputs.lang}}"}"""));
    }

    [Fact]
    public void Concat_joins_arrays_and_merge_combines_objects_left_to_right()
    {
        Assert.Equal("[1,2,3]", Eval("""{"$concat": ["{{tasks.a.output.pages}}", "{{tasks.b.output.pages}}"]}"""));
        Assert.Equal("""{"x":1,"y":2}""", Eval("""{"$merge": ["{{tasks.a.output.meta}}", "{{tasks.b.output.meta}}"]}"""));
    }

    [Fact]
    public void Whole_path_that_does_not_resolve_fails_naming_what_resolved()
    {
        var e = Assert.Throws<TemplateException>(() => Eval("""{"p": "{{tasks.a.output.missing}}"}"""));
        Assert.Equal("'tasks.a.output.missing' is undefined (resolved as far as 'tasks.a.output')", e.Message);
    }
}
