using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fanout.Cli.Planning;

/// <summary>
/// The structured-output JSON Schema of an orchestrator's answer. Tasks are listed in order and refer to earlier tasks
/// by 1-based position: <c>prefixItems</c> gives task k a <c>depends_on</c> whose items are at most k-1, so every
/// answer that conforms is a DAG (and the simulator, which samples the schema, answers with a valid plan). The
/// converter still checks everything, because a model may ignore the schema.
/// </summary>
internal static class PlannerSchema
{
    /// <summary>Most tasks one plan may have (the length of <c>prefixItems</c>).</summary>
    public const int MaxTasks = 8;

    public static JsonElement Build(IReadOnlyList<string> workers)
    {
        var tasks = new JsonArray();
        for (var k = 1; k <= MaxTasks; k++)
        {
            tasks.Add(Task(k, workers));
        }

        var schema = new JsonObject
        {
            ["type"] = "object",
            ["additionalProperties"] = false,
            ["required"] = new JsonArray("tasks", "completion_criteria"),
            ["properties"] = new JsonObject
            {
                ["tasks"] = new JsonObject
                {
                    ["type"] = "array",
                    ["minItems"] = 1,
                    ["maxItems"] = MaxTasks,
                    ["prefixItems"] = tasks,
                    ["items"] = false,
                },
                ["completion_criteria"] = new JsonObject
                {
                    ["type"] = "array",
                    ["minItems"] = 1,
                    ["maxItems"] = 5,
                    ["items"] = new JsonObject { ["type"] = "string" },
                },
            },
        };
        return JsonSerializer.SerializeToElement(schema);
    }

    private static JsonObject Task(int position, IReadOnlyList<string> workers) => new()
    {
        ["type"] = "object",
        ["additionalProperties"] = false,
        ["required"] = new JsonArray("id", "worker", "description", "expected_output", "depends_on"),
        ["properties"] = new JsonObject
        {
            ["id"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[a-z][a-z0-9_]*$", ["maxLength"] = 32 },
            ["worker"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray([.. workers.Select(w => (JsonNode?)JsonValue.Create(w))]) },
            ["description"] = new JsonObject { ["type"] = "string" },
            ["expected_output"] = new JsonObject { ["type"] = "string" },
            ["depends_on"] = new JsonObject
            {
                ["type"] = "array",
                ["description"] = "1-based positions of EARLIER tasks whose output this task needs",
                ["minItems"] = 0,
                ["maxItems"] = Math.Min(position - 1, 3),
                ["uniqueItems"] = true,
                ["items"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = Math.Max(position - 1, 1) },
            },
            // A contract on the task's output: its consumers are the tasks that depend on it.
            ["contract"] = new JsonObject
            {
                ["type"] = "object",
                ["additionalProperties"] = false,
                ["required"] = new JsonArray("name", "fields"),
                ["properties"] = new JsonObject
                {
                    ["name"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[a-z][a-z0-9_]*$", ["maxLength"] = 32 },
                    ["fields"] = new JsonObject
                    {
                        ["type"] = "array",
                        ["minItems"] = 1,
                        ["maxItems"] = 6,
                        ["items"] = new JsonObject
                        {
                            ["type"] = "object",
                            ["additionalProperties"] = false,
                            ["required"] = new JsonArray("name", "type"),
                            ["properties"] = new JsonObject
                            {
                                ["name"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[a-z][a-z0-9_]*$", ["maxLength"] = 32 },
                                ["type"] = new JsonObject { ["enum"] = new JsonArray("string", "number", "integer", "boolean", "array", "object") },
                            },
                        },
                    },
                },
            },
        },
    };
}
