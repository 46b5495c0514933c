using System.Text.Json;

namespace Fanout.Tests.Schema;

/// <summary>
/// What Fanout says when an instance breaks a schema (the words reports show and repair prompts quote), what it says
/// when a schema does not compile, and how compiled schemas behave. JsonSchema.Net's conformance is tested upstream.
/// </summary>
public class CompiledSchemaTests
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

    private static IReadOnlyList<SchemaError> Validate(string schema, string instance) => CompiledSchema.Compile(schema).Validate(Json(instance));

    private static string Error(string schema, string instance) => Assert.Single(Validate(schema, instance)).ToString();

    private static string CompileError(string schema)
    {
        Assert.False(CompiledSchema.TryCompile(Json(schema), out _, out var error));
        return error;
    }

    [Fact]
    public void Failure_behind_a_ref_into_defs_names_the_instance_pointer_and_the_expected_type()
    {
        var error = Assert.Single(Validate(SiteSchema, """{"pages": [{"title": "a", "slug": "a"}, {"title": "b", "slug": "b"}, {"title": 7, "slug": "c"}]}"""));

        Assert.Equal("/pages/2/title", error.InstancePath);
        Assert.Equal("must be string, got integer", error.Message);
        Assert.Equal("/pages/2/title: must be string, got integer", error.ToString());
    }

    [Fact]
    public void Every_error_is_listed_not_only_the_first()
    {
        var errors = Validate(SiteSchema, """{"pages": [{"slug": "Not A Slug", "tags": ["a", "b", "c", "d", "e", "f", "g"], "extra": 1}]}""");

        string[] expected =
        [
            "/pages/0: missing required property 'title'",
            "/pages/0/slug: must match the pattern '^[a-z0-9-]+$'",
            "/pages/0/tags: must have at most 5 items, got 7",
            "/pages/0: property 'extra' is not allowed",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), errors.Select(e => e.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_valid_instance_has_no_errors_and_is_valid()
    {
        var schema = CompiledSchema.Compile(SiteSchema);
        var instance = Json("""{"pages": [{"title": "t", "slug": "s", "tags": ["x"]}]}""");

        Assert.Empty(schema.Validate(instance));
        Assert.True(schema.IsValid(instance));
    }

    [Fact]
    public void Errors_at_the_root_show_as_root()
    {
        var error = Assert.Single(Validate("""{"type": "integer"}""", "\"seven\""));

        Assert.Equal("", error.InstancePath);
        Assert.Equal("(root): must be integer, got string", error.ToString());
    }

    [Fact]
    public void Each_missing_required_property_is_an_error_of_its_own()
    {
        var errors = Validate("""{"required": ["id", "name", "kind"]}""", """{"name": "x"}""");

        Assert.Equal(["(root): missing required property 'id'", "(root): missing required property 'kind'"], errors.Select(e => e.ToString()));
    }

    [Fact]
    public void Enum_lists_the_allowed_values_and_the_value_found()
    {
        Assert.Equal("/status: must be one of \"draft\", \"published\"; got \"deleted\"",
            Error("""{"properties": {"status": {"enum": ["draft", "published"]}}}""", """{"status": "deleted"}"""));
    }

    [Fact]
    public void MinItems_names_the_limit_and_the_count()
    {
        Assert.Equal("/sections: must have at least 3 items, got 1",
            Error("""{"properties": {"sections": {"type": "array", "minItems": 3}}}""", """{"sections": [{}]}"""));
    }

    [Fact]
    public void Pattern_quotes_the_pattern()
    {
        Assert.Equal("/slug: must match the pattern '^[a-z-]+$'", Error("""{"properties": {"slug": {"pattern": "^[a-z-]+$"}}}""", """{"slug": "Not A Slug"}"""));
    }

    [Fact]
    public void AdditionalProperties_false_names_the_property_at_its_object()
    {
        Assert.Equal("/user: property 'password' is not allowed",
            Error("""{"properties": {"user": {"properties": {"name": true}, "additionalProperties": false}}}""", """{"user": {"name": "a", "password": "b"}}"""));
    }

    [Fact]
    public void Nested_paths_run_through_arrays_and_objects()
    {
        Assert.Equal("/sections/1/items/0/score: must be <= 10, got 11",
            Error("""{"properties": {"sections": {"items": {"properties": {"items": {"items": {"properties": {"score": {"maximum": 10}}}}}}}}}""",
                """{"sections": [{"items": []}, {"items": [{"score": 11}]}]}"""));
    }

    [Fact]
    public void Property_names_are_escaped_in_instance_pointers()
    {
        Assert.Equal("/a~1b/c~0d", Assert.Single(Validate("""{"additionalProperties": {"additionalProperties": {"type": "null"}}}""", """{"a/b": {"c~d": 1}}""")).InstancePath);
    }

    [Fact]
    public void Several_allowed_types_are_listed()
    {
        Assert.Equal("(root): must be string or null, got boolean", Error("""{"type": ["string", "null"]}""", "true"));
    }

    [Fact]
    public void A_whole_number_written_with_a_fraction_is_an_integer()
    {
        Assert.Empty(Validate("""{"type": "integer"}""", "2.0"));
        Assert.Equal("(root): must be string, got number", Error("""{"type": "string"}""", "2.5"));
    }

    [Fact]
    public void AnyOf_failure_explains_each_branch()
    {
        Assert.Equal("(root): must match at least one anyOf schema: [0] must be string, got object; [1] missing required property 'id'",
            Error("""{"anyOf": [{"type": "string"}, {"type": "object", "required": ["id"]}]}""", "{}"));
    }

    [Fact]
    public void AnyOf_branch_errors_deeper_than_the_value_say_where()
    {
        Assert.Equal("(root): must match at least one anyOf schema: [0] at /id: must be integer, got string; [1] must be null, got object",
            Error("""{"anyOf": [{"properties": {"id": {"type": "integer"}}}, {"type": "null"}]}""", """{"id": "x"}"""));
    }

    [Fact]
    public void OneOf_matching_two_branches_names_them()
    {
        Assert.Equal("(root): must match exactly one oneOf schema, matched several ([0] and [1])", Error("""{"oneOf": [{"type": "integer"}, {"minimum": 0}]}""", "3"));
    }

    [Fact]
    public void Not_says_the_value_matched_what_it_must_not()
    {
        Assert.Equal("(root): must not match the schema in 'not'", Error("""{"not": {"type": "integer"}}""", "3"));
    }

    [Fact]
    public void Const_and_format_show_the_value_found()
    {
        Assert.Equal("(root): must be \"v1\", got \"v2\"", Error("""{"const": "v1"}""", "\"v2\""));
        Assert.Equal("(root): must be a valid date, got \"2024-02-30\"", Error("""{"format": "date"}""", "\"2024-02-30\""));
    }

    [Fact]
    public void Known_formats_are_asserted_and_unknown_ones_pass()
    {
        Assert.NotEmpty(Validate("""{"format": "email"}""", "\"not an address\""));
        Assert.Empty(Validate("""{"format": "email"}""", "\"someone@example.com\""));
        Assert.Empty(Validate("""{"format": "no-such-format"}""", "\"anything\""));
    }

    [Fact]
    public void String_length_counts_code_points_not_utf16_units()
    {
        const string schema = """{"minLength": 3}""";

        Assert.Equal("(root): must be at least 3 characters long, got 2", Error(schema, "\"\uD83D\uDCA9\uD83D\uDCA9\""));
        Assert.Empty(Validate(schema, "\"\uD83D\uDCA9\uD83D\uDCA9\uD83D\uDCA9\""));
    }

    [Fact]
    public void Dependent_required_contains_and_unique_items_name_what_is_wrong()
    {
        Assert.Equal("(root): missing property 'b', required when 'a' is present", Error("""{"dependentRequired": {"a": ["b"]}}""", """{"a": 1}"""));
        Assert.Equal("(root): must contain at least 2 items matching 'contains', got 1",
            Error("""{"contains": {"type": "integer"}, "minContains": 2}""", """[1, "a"]"""));
        Assert.Equal("(root): must not contain duplicate items (items 0 and 2 are equal)", Error("""{"uniqueItems": true}""", "[1, 2, 1]"));
    }

    [Fact]
    public void PropertyNames_failures_name_the_property_at_its_object()
    {
        Assert.Equal("(root): property name 'toolong' is invalid: must be at most 3 characters long, got 7",
            Error("""{"propertyNames": {"maxLength": 3}}""", """{"ok": 1, "toolong": 2}"""));
    }

    [Fact]
    public void UnevaluatedProperties_sees_properties_declared_in_allOf()
    {
        const string schema = """{"allOf": [{"properties": {"a": true}}], "properties": {"b": true}, "unevaluatedProperties": false}""";

        Assert.Empty(Validate(schema, """{"a": 1, "b": 2}"""));
        Assert.Equal("(root): property 'c' is not allowed (unevaluatedProperties is false)", Error(schema, """{"a": 1, "c": 3}"""));
    }

    [Fact]
    public void Items_after_prefixItems_are_reported_at_their_own_index()
    {
        const string schema = """{"prefixItems": [{"type": "string"}, {"type": "string"}], "items": {"properties": {"x": {"type": "integer"}}}}""";

        Assert.Equal("/3/x: must be integer, got string", Error(schema, """["a", "b", {"x": 1}, {"x": "no"}]"""));
        Assert.Equal("(root): must have at most 1 item, got 3", Error("""{"prefixItems": [true], "items": false}""", "[1, 2, 3]"));
    }

    [Fact]
    public void Catastrophic_pattern_is_an_error_when_its_match_times_out()
    {
        // Declared 2020-12 as model-facing schemas often are: the time limit must hold there too.
        Assert.Equal("(root): matching the pattern '^(a|aa)+$' took too long",
            Error("""{"$schema": "https://json-schema.org/draft/2020-12/schema", "pattern": "^(a|aa)+$"}""", $"\"{new string('a', 50)}b\""));
    }

    [Theory]
    [InlineData("""{"properties": {"x": {"pattern": "(unclosed"}}}""", "/properties/x/pattern: Invalid pattern '(unclosed'")]
    [InlineData("""{"type": "object", "properties": {"title": {"type": "strin"}}}""", "/properties/title/type: 'strin' is not a valid JSON Schema value type")]
    [InlineData("""{"minLength": -1}""", "/minLength: 'minLength' value must be non-negative")]
    [InlineData("""{"items": [{"type": "string"}]}""", "/items: 'items' value must be a valid schema")]
    [InlineData("""{"allOf": [{"required": "id"}]}""", "/allOf/0/required: 'required' value must be an array")]
    [InlineData("""{"items": {"$ref": "#/$defs/missing"}}""", "/items/$ref: $ref '#/$defs/missing' does not resolve")]
    [InlineData("""{"$ref": "https://example.com/other.json"}""", "/$ref: $ref 'https://example.com/other.json' does not resolve")]
    public void Invalid_schema_does_not_compile_and_says_where_and_why(string schema, string reason)
    {
        Assert.StartsWith(reason, CompileError(schema), StringComparison.Ordinal);
    }

    [Fact]
    public void Ref_cycle_that_never_moves_into_the_instance_does_not_compile()
    {
        Assert.Contains("Cycle detected", CompileError("""{"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}, "$ref": "#/$defs/a"}"""), StringComparison.Ordinal);
    }

    [Fact]
    public void Remote_references_are_not_fetched()
    {
        Assert.Contains("remote references are not fetched", CompileError("""{"$ref": "https://example.com/other.json"}"""), StringComparison.Ordinal);
    }

    [Fact]
    public void Draft_2020_12_is_the_default_and_schema_names_another_draft()
    {
        Assert.Single(Validate("""{"prefixItems": [{"type": "string"}]}""", "[1]"));
        Assert.Single(Validate("""{"$schema": "http://json-schema.org/draft-07/schema#", "items": [{"type": "string"}]}""", "[1]"));
    }

    [Fact]
    public void Unknown_keywords_are_ignored_as_2020_12_says()
    {
        Assert.Empty(Validate("""{"type": "object", "x-order": 1, "properties": {"a": {"type": "string", "x-widget": "text"}}}""", """{"a": "b"}"""));
    }

    [Fact]
    public void Schemas_with_the_same_id_do_not_see_each_other()
    {
        var text = CompiledSchema.Compile("""{"$id": "https://example.com/item.json", "type": "string"}""");
        var number = CompiledSchema.Compile("""{"$id": "https://example.com/item.json", "type": "number"}""");

        Assert.True(text.IsValid(Json("\"a\"")));
        Assert.True(number.IsValid(Json("1")));
        Assert.False(number.IsValid(Json("\"a\"")));
    }

    [Fact]
    public void Compiled_schema_outlives_the_document_it_was_compiled_from()
    {
        CompiledSchema schema;
        using (var document = JsonDocument.Parse("""{"enum": [{"kind": "page"}]}"""))
        {
            schema = CompiledSchema.Compile(document.RootElement);
        }

        Assert.True(schema.IsValid(Json("""{"kind": "page"}""")));
    }

    [Fact]
    public void One_schema_validates_concurrently_with_the_same_results()
    {
        var schema = CompiledSchema.Compile(SiteSchema);
        var good = Json("""{"pages": [{"title": "t", "slug": "s"}]}""");
        var bad = Json("""{"pages": [{"title": "", "slug": "S"}]}""");

        var verdicts = new bool[400];
        Parallel.For(0, verdicts.Length, i => verdicts[i] = schema.Validate(i % 2 == 0 ? good : bad).Count == (i % 2 == 0 ? 0 : 2));

        Assert.All(verdicts, Assert.True);
    }

    [Fact]
    public void Summary_lists_the_first_errors_and_counts_the_rest()
    {
        var errors = Validate("""{"items": {"type": "string"}}""", "[1, 2, 3]");

        Assert.Equal("/0: must be string, got integer; /1: must be string, got integer; … and 1 more", SchemaError.Summarize(errors, 2));
    }
}
