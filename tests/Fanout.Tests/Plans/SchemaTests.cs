using System.Text.Json;
using Fanout.Plans.Reading;
using Fanout.Plans.Yaml;

namespace Fanout.Tests.Plans;

/// <summary>schema/plan.schema.json and the loader must accept the same fields, or editors would suggest the wrong ones.</summary>
public class SchemaTests
{
    private static readonly JsonElement Schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "schema", "plan.schema.json"))).RootElement;

    private static string[] Properties(JsonElement obj) => [.. obj.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];

    private static string[] Sorted(IEnumerable<string> names) => [.. names.Order(StringComparer.Ordinal)];

    [Fact]
    public void Schema_is_draft_2020_12_json()
    {
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", Schema.GetProperty("$schema").GetString());
        Assert.Equal(["name", "tasks"], Schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    private static IReadOnlyList<SchemaError> Check(string yaml)
    {
        var diagnostics = new List<PlanDiagnostic>();
        var plan = JsonConversion.ToElement(NodeReader.Read(yaml, "plan.yaml", diagnostics)!);
        Assert.Empty(diagnostics);
        return CompiledSchema.Compile(Schema).Validate(plan);
    }

    [Theory]
    [InlineData("examples/site-generator/plan.yaml")]
    [InlineData("examples/seo-optimizer/plan.yaml")]
    public void Example_plans_conform_to_the_schema(string path)
    {
        Assert.Empty(Check(File.ReadAllText(Path.Combine(Fixtures.RepoRoot, path))));
    }

    [Fact]
    public void Schema_reports_a_misspelt_field_and_a_wrong_type_where_they_are()
    {
        var errors = Check("""
            name: p
            tasks:
              - { id: a, prompt: "Hi.", retyr: 2 }
              - { id: b, prompt: "Hi.", concurrency: 2, timeout: [1] }
            """);

        Assert.Contains(errors, e => e.ToString() == "/tasks/0: property 'retyr' is not allowed");
        Assert.Contains(errors, e => e.InstancePath == "/tasks/1/timeout");
    }

    [Fact]
    public void Schema_lists_exactly_the_top_level_fields_the_loader_accepts()
    {
        Assert.Equal(Sorted(PlanFields.TopLevel), Properties(Schema));
    }

    [Fact]
    public void Schema_lists_exactly_the_task_fields_the_loader_accepts()
    {
        Assert.Equal(Sorted(PlanFields.AllTaskFields), Properties(Schema.GetProperty("$defs").GetProperty("task")));
    }

    [Fact]
    public void Schema_lists_exactly_the_defaults_and_retry_fields_the_loader_accepts()
    {
        Assert.Equal(Sorted(PlanFields.Defaults), Properties(Schema.GetProperty("properties").GetProperty("defaults")));
        var retryObject = Schema.GetProperty("$defs").GetProperty("retry").GetProperty("anyOf").EnumerateArray().Single(s => s.GetProperty("type").GetString() == "object");
        Assert.Equal(Sorted(PlanFields.Retry), Properties(retryObject));
    }

    [Fact]
    public void Every_schema_property_has_a_description()
    {
        var missing = new List<string>();
        Walk(Schema, "#", missing);
        Assert.Empty(missing);
    }

    private static void Walk(JsonElement node, string path, List<string> missing)
    {
        if (node.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        if (node.TryGetProperty("properties", out var properties))
        {
            foreach (var p in properties.EnumerateObject())
            {
                // A property may carry its description itself or through the $ref'd definition.
                var described = p.Value.ValueKind != JsonValueKind.Object || p.Value.TryGetProperty("description", out _)
                    || (p.Value.TryGetProperty("$ref", out var r) && Resolve(r.GetString()!).TryGetProperty("description", out _));
                if (!described && !path.Contains("/allOf", StringComparison.Ordinal) && !path.Contains("/if", StringComparison.Ordinal))
                {
                    missing.Add($"{path}/properties/{p.Name}");
                }
            }
        }

        foreach (var child in node.EnumerateObject())
        {
            if (child.Value.ValueKind == JsonValueKind.Object)
            {
                Walk(child.Value, $"{path}/{child.Name}", missing);
            }
            else if (child.Value.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var item in child.Value.EnumerateArray())
                {
                    Walk(item, $"{path}/{child.Name}[{i++}]", missing);
                }
            }
        }
    }

    private static JsonElement Resolve(string reference) =>
        Schema.GetProperty("$defs").GetProperty(reference["#/$defs/".Length..]);
}
