using System.Text.Json;
using Fanout.Providers;
using Fanout.Providers.Simulation;
using Fanout.Tests.Support;
using Microsoft.Extensions.AI;
using static Fanout.Tests.Providers.ProviderSetupTests;

namespace Fanout.Tests.Structured;

/// <summary>Output schemas validated locally, with repair retries bounded by the task's retry policy.</summary>
public class RepairRetryTests
{
    private const string PageSchema = """
        {"type":"object","required":["title","pages"],"additionalProperties":false,
         "properties":{"title":{"type":"string"},
                       "pages":{"type":"array","maxItems":3,"items":{"type":"object","required":["title"],"properties":{"title":{"type":"string"}}}}}}
        """;

    private static JsonElement Schema(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static TaskDefinition Prompt(string id, string prompt, string schema = PageSchema, int maxAttempts = 3, params string[] needs) => new()
    {
        Id = id,
        Body = new PromptBody { Prompt = prompt, Schema = Schema(schema) },
        Needs = [.. needs],
        Retry = new RetryPolicy { MaxAttempts = maxAttempts, Jitter = false },
    };

    private static PlanDefinition Simulated(string settings, params TaskDefinition[] tasks)
    {
        var builder = new PlanBuilder("p").Configure(p => p with
        {
            Providers = [Provider("sim", $$$"""{"type":"simulated","models":{"*":{"latency":"1s","per_output_token":"0ms"}},{{{settings}}}}""")],
        });
        foreach (var task in tasks)
        {
            builder.Add(task);
        }

        return builder.Build();
    }

    private static (RunReport Report, ProviderSet Set) RunSimulated(PlanDefinition plan)
    {
        var clock = new Fanout.Time.VirtualClock();
        var set = ProviderSetup.Create(plan, new ProviderOptions { Time = clock, GetEnvironmentVariable = _ => null });
        var (report, _) = Sim.Run(plan, clock: clock, configure: o => o with { Executors = o.Executors.With(new PromptExecutor(set)) });
        return (report, set);
    }

    private static RunReport RunWith(IChatClient client, params TaskDefinition[] tasks)
    {
        var builder = new PlanBuilder("p");
        foreach (var task in tasks)
        {
            builder.Add(task);
        }

        var (report, _) = Sim.Run(builder.Build(), configure: o => o with { Executors = o.Executors.With(new PromptExecutor(new FixedResolver(client))) });
        return report;
    }

    [Fact]
    public void Simulated_schema_violation_on_the_first_attempt_is_repaired_on_the_second()
    {
        var plan = Simulated("""
            "script":[{"match":"Outline","fault":"schema_violation"}]
            """, Prompt("outline", "Outline a guide to rivers."));
        var (report, set) = RunSimulated(plan);

        var row = report.Row("outline");
        Assert.Equal(TaskState.Succeeded, row.Status);
        Assert.Equal(2, row.Attempts);
        Assert.Equal([AttemptOutcome.Failed, AttemptOutcome.Succeeded], row.AttemptLog.Select(a => a.Outcome));
        var error = row.AttemptLog[0].Error!;
        Assert.StartsWith("output does not match the schema: /", error, StringComparison.Ordinal);
        Assert.Null(row.AttemptLog[1].Error);
        Assert.True(CompiledSchema.Compile(PageSchema).IsValid(row.Output!.Value));
        Assert.Equal(1, set.InjectedFaults[SimulatedFault.SchemaViolation]);
        // The violating answer was generated: its tokens count with the second attempt's.
        Assert.True(row.Tokens!.Output > 0);
    }

    [Fact]
    public void Always_violating_output_fails_after_max_attempts_with_located_errors_and_skips_dependents()
    {
        var plan = Simulated("""
            "failure_rate":1,"failures":["schema_violation"]
            """,
            Prompt("outline", "Outline a guide to rivers."),
            new TaskDefinition { Id = "write", Body = new PromptBody { Prompt = "Write {{tasks.outline.output.title}}." }, Needs = ["outline"] });
        var (report, set) = RunSimulated(plan);

        var row = report.Row("outline");
        Assert.Equal(TaskState.Failed, row.Status);
        Assert.Equal(3, row.Attempts);
        Assert.All(row.AttemptLog, a => Assert.Equal(AttemptOutcome.Failed, a.Outcome));
        Assert.Matches(@"^output does not match the schema: /\w+: must be ", row.Error);
        Assert.Equal(3, set.InjectedFaults[SimulatedFault.SchemaViolation]);
        Assert.Equal(TaskState.Skipped, report.Row("write").Status);
        Assert.Equal(RunStatus.Failed, report.Status);
    }

    [Fact]
    public void Repair_note_quotes_the_located_errors_in_the_second_request()
    {
        var client = new ScriptedChatClient(
            """{"title": 7, "pages": [{"title": "a"}, {"title": "b"}, {"title": "c"}, {"title": "d"}]}""",
            """{"title": "Rivers", "pages": [{"title": "Source"}]}""");
        var report = RunWith(client, Prompt("outline", "Outline a guide to rivers."));

        var row = report.Row("outline");
        Assert.Equal((TaskState.Succeeded, 2), (row.Status, row.Attempts));
        Assert.Equal("Rivers", row.Output!.Value.GetProperty("title").GetString());
        Assert.Equal("output does not match the schema: /title: must be string, got integer; /pages: must have at most 3 items, got 4",
            row.AttemptLog[0].Error);
        Assert.DoesNotContain("did not match the schema", client.Prompts[0], StringComparison.Ordinal);
        Assert.StartsWith("Outline a guide to rivers.\n\nYour previous answer did not match the schema.", client.Prompts[1], StringComparison.Ordinal);
        Assert.Contains("/title: must be string, got integer; /pages: must have at most 3 items, got 4", client.Prompts[1], StringComparison.Ordinal);
        Assert.Equal(2 * ScriptedChatClient.OutputTokens, row.Tokens!.Output); // the violating attempt's tokens still count
    }

    [Fact]
    public void Nested_violations_are_located_by_json_pointer()
    {
        var client = new ScriptedChatClient("""{"title": "Rivers", "pages": [{"title": "a"}, {"name": "b"}, {"title": false}]}""");
        var report = RunWith(client, Prompt("outline", "Outline.", maxAttempts: 1));

        var error = report.Row("outline").Error!;
        Assert.Contains("/pages/1: ", error, StringComparison.Ordinal);
        Assert.Contains("/pages/2/title: must be string, got boolean", error, StringComparison.Ordinal);
        Assert.Single(client.Prompts);
    }

    [Fact]
    public void Invalid_schema_fails_the_task_without_calling_the_model_or_retrying()
    {
        var client = new ScriptedChatClient("{}");
        var task = Prompt("outline", "Outline.", schema: """{"type":"object","properties":{"title":{"type":"strin"}}}""", maxAttempts: 5);
        var executor = new PromptExecutor(new FixedResolver(client));
        var context = new TaskContext(task, "outline", 1, new PlanDefinition { Name = "p", Tasks = [task] }, default,
            new Dictionary<string, DependencyResult>(), null, null, null, TimeProvider.System, ".");

        var failure = Assert.Throws<TaskFailedException>(() => executor.ExecuteAsync(context, CancellationToken.None).AsTask().GetAwaiter().GetResult());
        Assert.False(failure.Retryable);
        Assert.StartsWith("output schema is invalid: /properties/title/type", failure.Message, StringComparison.Ordinal);
        Assert.Empty(client.Prompts);
    }

    [Fact]
    public void Invalid_schema_is_reported_when_the_plan_is_validated_at_the_output_field()
    {
        var at = new SourceLocation("plan.yaml", 7, 5);
        var task = Prompt("outline", "Outline.", schema: """{"type":"object","minProperties":-1}""") with
        {
            Locations = System.Collections.Immutable.ImmutableDictionary<string, SourceLocation>.Empty.Add("output", at),
        };
        var diagnostics = TaskGraph.Validate(new PlanDefinition { Name = "p", Tasks = [task] });

        var diagnostic = Assert.Single(diagnostics);
        Assert.StartsWith("task 'outline' output schema is invalid: /minProperties", diagnostic.Message, StringComparison.Ordinal);
        Assert.Equal(at, diagnostic.Location);
    }

    [Fact]
    public void Valid_output_is_checked_once_and_not_retried()
    {
        var client = new ScriptedChatClient("""{"title": "Rivers", "pages": []}""");
        var report = RunWith(client, Prompt("outline", "Outline."));

        Assert.Equal((TaskState.Succeeded, 1), (report.Row("outline").Status, report.Row("outline").Attempts));
        Assert.Single(client.Prompts);
    }
}
