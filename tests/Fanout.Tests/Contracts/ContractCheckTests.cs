using Fanout.Tests.Plans;

namespace Fanout.Tests.Contracts;

/// <summary>Static contract checks: tasks exist, consumers need the producer, and consumers read only what the schema provides.</summary>
public class ContractCheckTests
{
    private const string Schema = """
        { type: object, required: [token, user], properties: { token: { type: string }, user: { type: object, properties: { id: { type: string }, email: { type: string, format: email } } }, roles: { type: array, items: { type: object, properties: { name: { type: string } } } }, extra: { type: object } } }
        """;

    private static string Plan(string frontendPrompt, string producer = "backend", string consumers = "[frontend]", string needs = "[backend]", string schema = Schema) => $$"""
        name: p
        contracts:
          auth_api:
            producer: {{producer}}
            consumers: {{consumers}}
            schema: {{schema.Trim()}}
        tasks:
          - id: backend
            prompt: "Design the API."
            output: json
          - id: frontend
            needs: {{needs}}
            prompt: "{{frontendPrompt}}"
        """;

    [Fact]
    public void Consumer_reading_only_provided_fields_passes_including_nested_and_array_paths()
    {
        var plan = Load.Yaml(Plan(
            "{{tasks.backend.output.token}} {{tasks.backend.output.user.email}} {{tasks.backend.output.roles.[0].name}} {{tasks.backend.output.roles.length}} {{tasks.backend.output.extra.anything.deep}} {{json tasks.backend.output}}"));

        Assert.Single(plan.Contracts);
    }

    [Fact]
    public void Consumer_reading_a_field_the_schema_does_not_provide_is_reported_at_its_template()
    {
        var problem = Load.Problem(Plan("Hello {{tasks.backend.output.user.name}}"));

        Assert.Equal("contract 'auth_api': task 'frontend' reads tasks.backend.output.user.name, which the contract's schema does not provide (user has: id, email)",
            problem.Message);
        Assert.Equal("13:13", problem.At());
    }

    [Fact]
    public void Unprovided_fields_inside_array_items_and_under_scalars_are_reported()
    {
        var problems = Load.Problems(Plan("{{tasks.backend.output.roles.[1].title}} {{tasks.backend.output.token.value}} {{tasks.backend.output.session}}"));

        Assert.Equal(
        [
            "contract 'auth_api': task 'frontend' reads tasks.backend.output.roles.[1].title, which the contract's schema does not provide (roles[1] has: name)",
            "contract 'auth_api': task 'frontend' reads tasks.backend.output.token.value, which the contract's schema does not provide (token is a string)",
            "contract 'auth_api': task 'frontend' reads tasks.backend.output.session, which the contract's schema does not provide (output has: token, user, roles, extra)",
        ], problems.Select(p => p.Message));
    }

    [Fact]
    public void Refs_to_defs_and_open_objects_are_followed()
    {
        const string WithDefs = """
            { type: object, properties: { user: { $ref: "#/$defs/user" }, meta: { type: object, additionalProperties: { type: object, properties: { at: { type: string } } } } }, $defs: { user: { type: object, properties: { id: { type: string } } } } }
            """;
        Assert.Single(Load.Yaml(Plan("{{tasks.backend.output.user.id}} {{tasks.backend.output.meta.x.at}}", schema: WithDefs)).Contracts);

        var problem = Load.Problem(Plan("{{tasks.backend.output.user.email}}", schema: WithDefs));
        Assert.EndsWith("does not provide (user has: id)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_producer_and_consumer_are_reported_with_suggestions_at_their_lines()
    {
        var problems = Load.Problems(Plan("Hi", producer: "backnd", consumers: "[frontend, frontnd]"));

        Assert.Equal(
        [
            "4:15 contract 'auth_api': unknown producer task 'backnd' (did you mean 'backend'?)",
            "5:27 contract 'auth_api': unknown consumer task 'frontnd' (did you mean 'frontend'?)",
        ], problems.Select(p => $"{p.At()} {p.Message}"));
    }

    [Fact]
    public void Consumer_that_does_not_need_the_producer_is_reported()
    {
        var problem = Load.Problem(Plan("Hi", needs: "[]"));

        Assert.Equal("contract 'auth_api': consumer 'frontend' must list the producer 'backend' in needs", problem.Message);
        Assert.Equal("5:17", problem.At());
    }

    [Fact]
    public void Schema_that_does_not_compile_is_reported_at_the_schema()
    {
        var problem = Load.Problem(Plan("Hi", schema: "{ type: object, minProperties: -1 }"));

        Assert.StartsWith("contract 'auth_api': schema is invalid: /minProperties", problem.Message, StringComparison.Ordinal);
        Assert.Equal("6:13", problem.At());
    }
}
