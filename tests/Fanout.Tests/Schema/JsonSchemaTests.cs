using System.Text.Json;
using Fanout.Schema;

namespace Fanout.Tests.Schema;

/// <summary>Error paths and messages, compile errors and the choices the official suite does not pin down.</summary>
public class JsonSchemaTests
{
    private const string SiteSchema = """
        {
          "$defs": {
            "page": {
              "type": "object",
              "required": ["title", "slug"],
              "properties": {
                "title": { "type": "string", "minLength": 1 },
                "slug": { "type": "string", "pattern": "^[a-z0-9-]+$" },
                "tags": { "type": "array", "items": { "type": "string" }, "maxItems": 5 }
              },
              "additionalProperties": false
            }
          },
          "type": "object",
          "properties": { "pages": { "type": "array", "items": { "$ref": "#/$defs/page" } } }
        }
        """;

    private static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static SchemaResult Validate(string schema, string instance, JsonSchemaOptions? options = null) =>
        JsonSchema.Parse(schema, options).Validate(Json(instance));

    private static SchemaError SingleError(string schema, string instance, JsonSchemaOptions? options = null)
    {
        var result = Validate(schema, instance, options);
        Assert.False(result.IsValid);
        return Assert.Single(result.Errors);
    }

    [Fact]
    public void Nested_failure_reports_instance_pointer_and_schema_location_behind_the_ref()
    {
        var error = SingleError(SiteSchema, """{"pages": [{"title": "a", "slug": "a"}, {"title": "b", "slug": "b"}, {"title": 7, "slug": "c"}]}""");

        Assert.Equal("/pages/2/title", error.InstancePath);
        Assert.Equal("/$defs/page/properties/title/type", error.SchemaPath);
        Assert.Equal("must be string, got integer", error.Message);
        Assert.Equal("/pages/2/title: must be string, got integer", error.ToString());
    }

    [Fact]
    public void Every_error_is_collected_not_only_the_first()
    {
        var result = Validate(SiteSchema, """{"pages": [{"slug": "Not A Slug", "tags": ["a", "b", "c", "d", "e", "f", "g"], "extra": 1}]}""");

        string[] expected =
        [
            "/pages/0: missing required property 'title'",
            "/pages/0/slug: must match the pattern '^[a-z0-9-]+$'",
            "/pages/0/tags: must have at most 5 items, got 7",
            "/pages/0: property 'extra' is not allowed",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), result.Errors.Select(e => e.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Root_errors_have_an_empty_instance_path()
    {
        var error = SingleError("""{"type": "integer"}""", "\"seven\"");

        Assert.Equal("", error.InstancePath);
        Assert.Equal("/type", error.SchemaPath);
        Assert.Equal("must be integer, got string", error.Message);
        Assert.Equal("(root): must be integer, got string", error.ToString());
    }

    [Fact]
    public void Property_names_are_escaped_in_instance_pointers()
    {
        var error = SingleError("""{"additionalProperties": {"additionalProperties": {"type": "null"}}}""", """{"a/b": {"c~d": 1}}""");

        Assert.Equal("/a~1b/c~0d", error.InstancePath);
    }

    [Fact]
    public void Multiple_types_are_listed_in_the_message()
    {
        Assert.Equal("must be string or null, got boolean", SingleError("""{"type": ["string", "null"]}""", "true").Message);
    }

    [Fact]
    public void AnyOf_failure_explains_each_branch()
    {
        var error = SingleError("""{"anyOf": [{"type": "string"}, {"type": "object", "required": ["id"]}]}""", "{}");

        Assert.Equal("must match at least one anyOf schema: [0] must be string, got object; [1] missing required property 'id'", error.Message);
        Assert.Equal("/anyOf", error.SchemaPath);
    }

    [Fact]
    public void OneOf_matching_two_branches_names_them()
    {
        var error = SingleError("""{"oneOf": [{"type": "integer"}, {"minimum": 0}]}""", "3");

        Assert.Equal("must match exactly one oneOf schema, matched several ([0] and [1])", error.Message);
    }

    [Fact]
    public void String_length_counts_code_points_not_utf16_units()
    {
        const string schema = """{"minLength": 3}""";

        Assert.Equal("must be at least 3 characters long, got 2", SingleError(schema, "\"\uD83D\uDCA9\uD83D\uDCA9\"").Message);
        Assert.True(Validate(schema, "\"\uD83D\uDCA9\uD83D\uDCA9\uD83D\uDCA9\"").IsValid);
    }

    [Fact]
    public void Numbers_are_compared_as_decimals_when_they_fit()
    {
        Assert.True(Validate("""{"multipleOf": 0.1}""", "0.3").IsValid); // 0.3 / 0.1 is 2.9999999999999996 in double
        Assert.Equal("must be <= 0.3, got 0.30000000000000004", SingleError("""{"maximum": 0.3}""", "0.30000000000000004").Message);
    }

    [Fact]
    public void Enum_and_const_compare_numbers_by_value_and_objects_regardless_of_key_order()
    {
        Assert.True(Validate("""{"const": {"a": 1, "b": [2.0]}}""", """{"b": [2], "a": 1.00}""").IsValid);
        Assert.Equal("must be one of \"draft\", \"published\"; got \"deleted\"", SingleError("""{"enum": ["draft", "published"]}""", "\"deleted\"").Message);
    }

    [Fact]
    public void Formats_are_asserted_by_default_and_can_be_annotations_only()
    {
        const string schema = """{"format": "date"}""";

        Assert.Equal("must be a valid date, got \"2024-02-30\"", SingleError(schema, "\"2024-02-30\"").Message);
        Assert.True(Validate(schema, "\"2024-02-30\"", new JsonSchemaOptions { AssertFormat = false }).IsValid);
    }

    [Fact]
    public void PropertyNames_failures_name_the_property_at_the_object()
    {
        var error = SingleError("""{"propertyNames": {"maxLength": 3}}""", """{"ok": 1, "toolong": 2}""");

        Assert.Equal("", error.InstancePath);
        Assert.Equal("property name 'toolong' is invalid: must be at most 3 characters long, got 7", error.Message);
    }

    [Fact]
    public void UnevaluatedProperties_sees_properties_declared_in_allOf()
    {
        const string schema = """{"allOf": [{"properties": {"a": true}}], "properties": {"b": true}, "unevaluatedProperties": false}""";

        Assert.True(Validate(schema, """{"a": 1, "b": 2}""").IsValid);
        Assert.Equal("property 'c' is not allowed (unevaluatedProperties is false)", SingleError(schema, """{"a": 1, "c": 3}""").Message);
    }

    [Fact]
    public void Ref_cycle_that_never_moves_into_the_instance_is_an_error_not_a_stack_overflow()
    {
        var result = Validate("""{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}""", "1");

        Assert.False(result.IsValid);
        Assert.Contains("recursion is too deep", result.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Catastrophic_pattern_is_reported_as_an_error_when_it_times_out()
    {
        var options = new JsonSchemaOptions { RegexTimeout = TimeSpan.FromMilliseconds(1) };

        var error = SingleError("""{"pattern": "^(a|aa)+$"}""", $"\"{new string('a', 60)}b\"", options);

        Assert.Equal("matching the pattern '^(a|aa)+$' took too long", error.Message);
    }

    [Theory]
    [InlineData("""{"properties": {"x": {"pattern": "(unclosed"}}}""", "/properties/x/pattern", "not a valid regular expression")]
    [InlineData("""{"pattern": "\\a"}""", "/pattern", "not a valid regular expression")]
    [InlineData("""{"items": {"$ref": "#/$defs/missing"}}""", "/items/$ref", "$ref '#/$defs/missing' does not resolve")]
    [InlineData("""{"$ref": "#nowhere"}""", "/$ref", "no $anchor 'nowhere'")]
    [InlineData("""{"$ref": "https://example.com/other.json"}""", "/$ref", "remote references are not supported")]
    [InlineData("""{"$dynamicRef": "#meta"}""", "/$dynamicRef", "$dynamicRef is not supported")]
    [InlineData("""{"minLength": -1}""", "/minLength", "minLength must be a non-negative integer")]
    [InlineData("""{"type": "text"}""", "/type", "type must be one of")]
    [InlineData("""{"items": [{"type": "string"}]}""", "/items", "prefixItems")]
    [InlineData("""{"properties": {"a": 5}}""", "/properties/a", "a schema must be an object or a boolean, got integer")]
    public void Invalid_schema_fails_to_parse_with_the_place_and_the_reason(string schema, string path, string reason)
    {
        var e = Assert.Throws<JsonSchemaException>(() => JsonSchema.Parse(schema));

        Assert.Equal(path, e.SchemaPath);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compiled_schema_outlives_the_document_it_was_parsed_from()
    {
        JsonSchema schema;
        using (var document = JsonDocument.Parse("""{"enum": [{"kind": "page"}]}"""))
        {
            schema = JsonSchema.Parse(document.RootElement);
        }

        Assert.True(schema.IsValid(Json("""{"kind": "page"}""")));
    }

    [Fact]
    public void One_schema_validates_concurrently_with_the_same_results()
    {
        var schema = JsonSchema.Parse(SiteSchema);
        var good = Json("""{"pages": [{"title": "t", "slug": "s"}]}""");
        var bad = Json("""{"pages": [{"title": "", "slug": "S"}]}""");

        var verdicts = new bool[400];
        Parallel.For(0, verdicts.Length, i => verdicts[i] = schema.Validate(i % 2 == 0 ? good : bad).Errors.Count == (i % 2 == 0 ? 0 : 2));

        Assert.All(verdicts, Assert.True);
    }
}
