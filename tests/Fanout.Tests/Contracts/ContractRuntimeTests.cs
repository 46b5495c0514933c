using System.Text.Json;
using Fanout.Tests.Support;
using Microsoft.Extensions.AI;

namespace Fanout.Tests.Contracts;

/// <summary>Contracts checked at run time, at the boundary: the producer's output against the contract's schema.</summary>
public class ContractRuntimeTests
{
    private static readonly JsonElement AuthSchema = JsonDocument.Parse("""
        {"type":"object","required":["token","user"],
         "properties":{"token":{"type":"string"},"user":{"type":"object","properties":{"id":{"type":"string"},"email":{"type":"string"}}}}}
        """).RootElement.Clone();

    private static readonly ContractDefinition AuthApi = new()
    {
        Name = "auth_api",
        Producer = "backend",
        Consumers = ["frontend", "docs"],
        Schema = AuthSchema,
    };

    private static Func<TaskContext, CancellationToken, ValueTask<object?>> Produce(params string[] outputsByAttempt) =>
        async (ctx, ct) =>
        {
            await Task.Delay(TimeSpan.FromSeconds(1), ctx.Time, ct);
            return JsonDocument.Parse(outputsByAttempt[Math.Min(ctx.Attempt, outputsByAttempt.Length) - 1]).RootElement.Clone();
        };

    private static PlanDefinition Plan(TaskDefinition backend) => new()
    {
        Name = "p",
        Contracts = [AuthApi],
        Tasks =
        [
            backend with { Retry = new RetryPolicy { MaxAttempts = 3, BaseDelay = TimeSpan.FromSeconds(1), Jitter = false } },
            Sim.Def("frontend", Sim.Work(1000), "backend"),
            Sim.Def("docs", Sim.Work(1000), "backend"),
        ],
    };

    [Fact]
    public void Valid_producer_output_passes_the_boundary_on_the_first_attempt()
    {
        var (report, _) = Sim.Run(Plan(Sim.Def("backend", Produce("""{"token":"t","user":{"id":"1","email":"a@b.c"}}"""))));

        Assert.Equal(RunStatus.Succeeded, report.Status);
        Assert.Equal(1, report.Row("backend").Attempts);
        Assert.Equal(TaskState.Succeeded, report.Row("frontend").Status);
    }

    [Fact]
    public void Violating_output_is_retried_and_a_repaired_one_is_accepted()
    {
        var (report, _) = Sim.Run(Plan(Sim.Def("backend", Produce("""{"user":{"id":1}}""", """{"token":"t","user":{"id":"1"}}"""))));

        var row = report.Row("backend");
        Assert.Equal((TaskState.Succeeded, 2), (row.Status, row.Attempts));
        Assert.Equal([AttemptOutcome.Failed, AttemptOutcome.Succeeded], row.AttemptLog.Select(a => a.Outcome));
        Assert.Equal("t", row.Output!.Value.GetProperty("token").GetString());
        Assert.Equal(TaskState.Succeeded, report.Row("docs").Status);
    }

    [Fact]
    public void Output_that_keeps_violating_fails_the_producer_naming_both_sides_and_fields_and_skips_consumers()
    {
        var (report, _) = Sim.Run(Plan(Sim.Def("backend", Produce("""{"user":{"id":1}}"""))));

        var row = report.Row("backend");
        Assert.Equal((TaskState.Failed, 3), (row.Status, row.Attempts));
        Assert.Equal("contract 'auth_api' (backend → frontend, docs) violated: (root): missing required property 'token'; /user/id: must be string, got integer",
            row.Error);
        Assert.Equal(TaskState.Skipped, report.Row("frontend").Status);
        Assert.Equal(TaskState.Skipped, report.Row("docs").Status);
        Assert.Contains("backend", report.Row("frontend").Error, StringComparison.Ordinal);
        Assert.Equal(RunStatus.Failed, report.Status);
    }

    [Fact]
    public void Prompt_producer_gets_a_repair_note_quoting_the_contract_errors_and_succeeds_on_retry()
    {
        var client = new ScriptedChatClient("""{"token": 42, "user": {"id": "1"}}""", """{"token": "abc", "user": {"id": "1"}}""");
        var backend = new TaskDefinition { Id = "backend", Body = new PromptBody { Prompt = "Design the login response.", Output = OutputFormat.Json } };
        var (report, _) = Sim.Run(Plan(backend), configure: o => o with { Executors = o.Executors.With(new PromptExecutor(new FixedResolver(client))) });

        var row = report.Row("backend");
        Assert.Equal((TaskState.Succeeded, 2), (row.Status, row.Attempts));
        Assert.Equal("contract 'auth_api' (backend → frontend, docs) violated: /token: must be string, got integer", row.AttemptLog[0].Error);
        Assert.Equal("Design the login response.", client.Prompts[0]);
        Assert.StartsWith("Design the login response.\n\nYour previous answer broke the contract other tasks rely on. Errors (JSON pointer: problem): /token: must be string, got integer.",
            client.Prompts[1], StringComparison.Ordinal);
        Assert.Equal(TaskState.Succeeded, report.Row("frontend").Status);
    }

    [Fact]
    public void Simulated_producer_whose_output_schema_differs_from_the_contract_fails_at_the_boundary_end_to_end()
    {
        var plan = Fanout.Tests.Plans.Load.Yaml("""
            name: p
            providers:
              sim: { type: simulated, models: { "*": { latency: 1s, per_output_token: 0ms } } }
            defaults: { provider: sim, model: m, retry: { max_attempts: 2, base_delay: 1s, jitter: false } }
            contracts:
              auth_api:
                producer: backend
                consumers: [frontend]
                schema: { type: object, required: [token], properties: { token: { type: string } } }
            tasks:
              - id: backend
                prompt: "Design the login response."
                output: { schema: { type: object, required: [token], properties: { token: { type: integer } } } }
              - id: frontend
                needs: [backend]
                prompt: "Store {{tasks.backend.output.token}}."
            """);
        var clock = new Fanout.Time.VirtualClock();
        var set = Fanout.Providers.ProviderSetup.Create(plan, new Fanout.Providers.ProviderOptions { Time = clock, GetEnvironmentVariable = _ => null });
        var (report, _) = Sim.Run(plan, clock: clock, configure: o => o with { Executors = o.Executors.With(new PromptExecutor(set)) });

        var row = report.Row("backend");
        Assert.Equal((TaskState.Failed, 2), (row.Status, row.Attempts));
        Assert.All(row.AttemptLog, a => Assert.StartsWith("contract 'auth_api' (backend → frontend) violated: /token: must be string, got integer", a.Error, StringComparison.Ordinal));
        Assert.Equal(TaskState.Skipped, report.Row("frontend").Status);
    }
}
