using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Providers.Simulation;

namespace Fanout.Tests.Providers;

public class SchemaSamplerTests
{
    public static TheoryData<string, string> Schemas => new()
    {
        { "scalar types", """{"type":"object","required":["s","i","n","b"],"properties":{"s":{"type":"string"},"i":{"type":"integer"},"n":{"type":"number"},"b":{"type":"boolean"}}}""" },
        { "type arrays", """{"type":"array","minItems":5,"items":{"type":["string","integer","null"]}}""" },
        { "seo page", """
            {"type":"object","additionalProperties":false,"required":["title","meta_description","sections","faq"],
             "properties":{
               "title":{"type":"string","maxLength":60},
               "meta_description":{"type":"string","minLength":50,"maxLength":160},
               "slug":{"type":"string","pattern":"^[a-z0-9]+(-[a-z0-9]+)*$"},
               "sections":{"type":"array","minItems":3,"maxItems":6,"items":{"type":"object","required":["heading","html"],
                  "properties":{"heading":{"type":"string"},"html":{"type":"string"}}}},
               "faq":{"type":"array","items":{"$ref":"#/$defs/qa"}},
               "images":{"type":"array","items":{"type":"object","required":["url","alt","prompt"],
                  "properties":{"url":{"type":"string","format":"uri"},"alt":{"type":"string"},"prompt":{"type":"string"}}}}},
             "$defs":{"qa":{"type":"object","required":["question","answer"],"properties":{"question":{"type":"string"},"answer":{"type":"string"}}}}}
            """ },
        { "numeric bounds", """
            {"type":"object","required":["a","b","c","d","e","f"],"properties":{
              "a":{"type":"integer","minimum":10,"maximum":12},
              "b":{"type":"integer","exclusiveMinimum":0,"exclusiveMaximum":3},
              "c":{"type":"number","minimum":0.5,"maximum":0.75},
              "d":{"type":"integer","multipleOf":7,"minimum":1,"maximum":50},
              "e":{"type":"number","multipleOf":0.25,"exclusiveMinimum":1,"maximum":2},
              "f":{"type":"integer","minimum":-5}}}
            """ },
        { "string lengths", """{"type":"array","minItems":4,"maxItems":4,"items":{"type":"string","minLength":20,"maxLength":25}}""" },
        { "formats", """
            {"type":"object","required":["when","day","mail","link","id"],"properties":{
              "when":{"type":"string","format":"date-time"},"day":{"type":"string","format":"date"},
              "mail":{"type":"string","format":"email"},"link":{"type":"string","format":"uri"},"id":{"type":"string","format":"uuid"}}}
            """ },
        { "patterns", """
            {"type":"object","required":["sku","code","hex","choice"],"properties":{
              "sku":{"type":"string","pattern":"^[A-Z]{3}-\\d{4}$"},
              "code":{"type":"string","pattern":"^(foo|bar)_[a-z]+[0-9]?$"},
              "hex":{"type":"string","pattern":"^#[0-9a-f]{6}$"},
              "choice":{"type":"string","pattern":"^(?:yes|no)$"}}}
            """ },
        { "enum and const", """{"type":"object","required":["kind","v"],"properties":{"kind":{"enum":["a","b",3,null]},"v":{"const":{"x":[1,2]}}}}""" },
        { "anyOf and oneOf", """
            {"type":"array","minItems":6,"items":{"oneOf":[{"type":"string","maxLength":3},{"type":"integer","minimum":100}]}}
            """ },
        { "anyOf with siblings", """{"type":"object","required":["v"],"properties":{"v":{"anyOf":[{"type":"integer"},{"type":"boolean"}]}}}""" },
        { "allOf merge", """
            {"allOf":[{"type":"object","required":["a"],"properties":{"a":{"type":"integer","minimum":5}}},
                      {"required":["b"],"properties":{"a":{"maximum":6},"b":{"type":"string"}}}]}
            """ },
        { "prefixItems tuple", """{"type":"array","prefixItems":[{"type":"string"},{"type":"integer"},{"type":"boolean"}],"items":false,"minItems":3}""" },
        { "unique items", """{"type":"array","uniqueItems":true,"minItems":3,"maxItems":3,"items":{"enum":["x","y","z"]}}""" },
        { "map via additionalProperties", """{"type":"object","additionalProperties":{"type":"integer","minimum":0,"maximum":9},"minProperties":2}""" },
        { "recursive tree", """
            {"$ref":"#/$defs/node","$defs":{"node":{"type":"object","required":["name","children"],
              "properties":{"name":{"type":"string"},"children":{"type":"array","items":{"$ref":"#/$defs/node"}}}}}}
            """ },
        { "nullable via anyOf", """{"type":"object","required":["next"],"properties":{"next":{"anyOf":[{"type":"null"},{"$ref":"#"}]}}}""" },
        { "no type keywords", """{"properties":{"x":{"minimum":3,"maximum":4}},"required":["x"]}""" },
        { "empty schema", """{}""" },
    };

    [Theory]
    [MemberData(nameof(Schemas))]
    public void Sampled_values_conform_to_the_schema(string name, string schema)
    {
        using var document = JsonDocument.Parse(schema);
        for (var seed = 0; seed < 60; seed++)
        {
            var value = SchemaSampler.Sample(document.RootElement, new Random(seed));
            var errors = SchemaConformance.Check(schema, value);
            Assert.True(errors.Count == 0, $"{name}, seed {seed}: {value?.ToJsonString()}\n{string.Join("\n", errors)}");
        }
    }

    [Fact]
    public void Same_seed_gives_the_same_value()
    {
        using var document = JsonDocument.Parse(Schemas.First()[1].ToString()!);
        var a = SchemaSampler.Sample(document.RootElement, new Random(5));
        var b = SchemaSampler.Sample(document.RootElement, new Random(5));
        Assert.True(JsonNode.DeepEquals(a, b));
    }

    [Fact]
    public void Optional_properties_are_sometimes_present_and_sometimes_not()
    {
        using var document = JsonDocument.Parse("""{"type":"object","properties":{"opt":{"type":"string"}}}""");
        var present = Enumerable.Range(0, 40).Count(seed => SchemaSampler.Sample(document.RootElement, new Random(seed)) is JsonObject o && o.ContainsKey("opt"));
        Assert.InRange(present, 5, 35);
    }

    [Fact]
    public void Array_lengths_default_to_one_to_four()
    {
        using var document = JsonDocument.Parse("""{"type":"array","items":{"type":"integer"}}""");
        var lengths = Enumerable.Range(0, 50).Select(seed => ((JsonArray)SchemaSampler.Sample(document.RootElement, new Random(seed))!).Count).ToHashSet();
        Assert.Equal([1, 2, 3, 4], lengths.Order());
    }

    [Theory]
    [InlineData("imageUrl", "https://example.com/")]
    [InlineData("html", "<h2>")]
    [InlineData("contact_email", "@example.com")]
    public void Property_names_shape_strings(string property, string expected)
    {
        using var document = JsonDocument.Parse(
            """{"type":"object","required":["P"],"properties":{"P":{"type":"string"}}}""".Replace("P", property, StringComparison.Ordinal));
        var value = SchemaSampler.Sample(document.RootElement, new Random(1))![property]!.GetValue<string>();
        Assert.Contains(expected, value, StringComparison.Ordinal);
    }

    [Fact]
    public void Title_is_a_few_capitalized_words()
    {
        using var document = JsonDocument.Parse("""{"type":"object","required":["title"],"properties":{"title":{"type":"string"}}}""");
        var title = SchemaSampler.Sample(document.RootElement, new Random(3))!["title"]!.GetValue<string>();
        var words = title.Split(' ');
        Assert.InRange(words.Length, 3, 6);
        Assert.All(words, w => Assert.True(char.IsUpper(w[0]), title));
    }

    [Fact]
    public void Pattern_beyond_the_generator_falls_back_to_a_word()
    {
        using var document = JsonDocument.Parse("""{"type":"string","pattern":"(?=x)\\1"}""");
        var value = SchemaSampler.Sample(document.RootElement, new Random(1))!.GetValue<string>();
        Assert.Matches("^[a-z]+$", value);
    }
}
