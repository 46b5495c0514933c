using System.Text.Json;
using Fanout.Plans.Reading;
using Fanout.Tests.Plans;

namespace Fanout.Tests.Contracts;

/// <summary>Reading <c>contracts:</c> from plan files, with located errors.</summary>
public class ContractLoaderTests
{
    private const string Tasks = """
        tasks:
          - id: backend
            prompt: "Design the API."
            output: json
          - id: frontend
            needs: [backend]
            prompt: "Use {{tasks.backend.output.token}}."
          - id: docs
            needs: [backend]
            prompt: "Document it."
        """;

    [Fact]
    public void Full_contract_is_read_with_producer_consumers_schema_and_location()
    {
        var plan = Load.Yaml("""
            name: p
            contracts:
              auth_api:
                producer: backend
                consumers: [frontend, docs]
                schema: { type: object, required: [token], properties: { token: { type: string } } }
            """ + "\n" + Tasks);

        var contract = Assert.Single(plan.Contracts);
        Assert.Equal("auth_api", contract.Name);
        Assert.Equal("backend", contract.Producer);
        Assert.Equal("frontend, docs", string.Join(", ", contract.Consumers));
        Assert.Equal("token", contract.Schema.GetProperty("required")[0].GetString());
        Assert.Equal(new SourceLocation("plan.yaml", 3, 3), contract.Location);
        Assert.Equal(new SourceLocation("plan.yaml", 5, 27), contract.Locate("consumers[1]"));
    }

    [Fact]
    public void Schema_may_be_a_file_next_to_the_plan()
    {
        var dir = Directory.CreateTempSubdirectory("fanout-contract-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "auth.json"), """{"type":"object","properties":{"token":{"type":"string"}}}""");
            var plan = Load.Yaml("""
                name: p
                contracts:
                  auth_api: { producer: backend, consumers: [frontend], schema: auth.json }
                """ + "\n" + Tasks, dir.FullName);

            Assert.Equal(JsonValueKind.Object, Assert.Single(plan.Contracts).Schema.GetProperty("properties").GetProperty("token").ValueKind);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Unknown_field_wrong_types_and_missing_schema_are_reported_at_their_lines()
    {
        var problems = Load.Problems("""
            name: p
            contracts:
              auth_api:
                producer: backend
                consumer: [frontend]
              other:
                producer: 7
                consumers: frontend
                schema: [1]
              third:
                producer: backend
                schema: auth.txt
            """ + "\n" + Tasks);

        Assert.Equal(
        [
            "4:5 contract 'auth_api': 'schema' is required: an inline JSON Schema or the path of a .json/.yaml file",
            "5:5 contract 'auth_api': unknown field 'consumer' (did you mean 'consumers'?)",
            "7:15 contract 'other': 'producer' must be a string, got integer",
            "8:16 contract 'other': 'consumers' must be an array (a list), got string",
            "9:13 contract 'other': 'schema' must be a JSON Schema object or a file path, got array",
            "12:13 contract 'third': 'schema' file must be .json, .yaml or .yml, got 'auth.txt'",
        ], problems.OrderBy(p => p.Location!.Line).ThenBy(p => p.Location!.Column).Select(p => $"{p.At()} {p.Message}"));
    }

    [Fact]
    public void Loader_and_plan_schema_agree_on_the_contract_fields()
    {
        var schema = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.RepoRoot, "schema", "plan.schema.json"))).RootElement;
        var fields = schema.GetProperty("$defs").GetProperty("contract").GetProperty("properties").EnumerateObject().Select(p => p.Name).Order();
        Assert.Equal(PlanFields.Contract.Order(), fields);
    }
}
