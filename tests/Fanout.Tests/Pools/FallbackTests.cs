using Fanout.Providers.Pools;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using static Fanout.Tests.Pools.PoolKit;

namespace Fanout.Tests.Pools;

public class FallbackTests
{
    private readonly FakeTimeProvider _time = new();

    private static ChatOptions Options(bool final) => new() { AdditionalProperties = new() { [PromptExecutor.FinalAttemptProperty] = final } };

    private (FallbackChatClient Client, FakeKey Backup) Chain(Exception failure)
    {
        var primary = new FakeKey("primary", _time, (_, _) => Task.FromException<ChatResponse>(failure));
        var backup = new FakeKey("backup", _time);
        var client = new FallbackChatClient(primary, [new FallbackTarget("big", "gpt-4.1")], name => name == "big" ? (backup, "default") : throw new InvalidOperationException());
        return (client, backup);
    }

    [Fact]
    public async Task A_context_window_error_goes_to_the_next_provider_and_model_in_the_chain()
    {
        var (client, backup) = Chain(new ContextWindowException("OpenAI HTTP 400: maximum context length is 8192 tokens"));

        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "long")], Options(final: false));

        Assert.Equal(1, backup.Count);
        Assert.Equal("big", response.AdditionalProperties![PromptExecutor.ProviderProperty]);
        Assert.Equal("gpt-4.1", response.AdditionalProperties![PromptExecutor.ModelProperty]);
    }

    [Fact]
    public async Task A_retryable_failure_before_the_last_attempt_is_left_to_the_retry_policy()
    {
        var (client, backup) = Chain(new TaskFailedException("OpenAI HTTP 503: overloaded", retryable: true));

        var e = await Assert.ThrowsAsync<TaskFailedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")], Options(final: false)));

        Assert.Equal("OpenAI HTTP 503: overloaded", e.Message);
        Assert.Equal(0, backup.Count);
    }

    [Fact]
    public async Task A_retryable_failure_on_the_last_attempt_falls_back()
    {
        var (client, backup) = Chain(new TaskFailedException("OpenAI HTTP 503: overloaded", retryable: true));

        await client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")], Options(final: true));

        Assert.Equal(1, backup.Count);
    }

    [Fact]
    public async Task A_bad_request_does_not_fall_back()
    {
        var (client, backup) = Chain(new TaskFailedException("OpenAI HTTP 400: bad", retryable: false));

        await Assert.ThrowsAsync<TaskFailedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "q")], Options(final: true)));

        Assert.Equal(0, backup.Count);
    }
}

public class FallbackRunTests
{
    [Fact]
    public async Task A_task_whose_provider_is_unreachable_on_its_last_attempt_is_answered_and_priced_by_the_fallback()
    {
        var plan = Fanout.Tests.Plans.Load.Yaml("""
            name: fallback
            defaults: { provider: main, retry: { max_attempts: 1 } }
            providers:
              main:
                type: openai
                api_key: ${MAIN_KEY}
                base_url: http://127.0.0.1:1/v1
                model: gpt-4o-mini
                fallback: [{ provider: backup, model: backup-model }]
              backup:
                type: simulated
                pricing: { backup-model: { input: 1000000, output: 1000000 } }
                models: { "*": { latency: 0ms, output_tokens: [5, 5] } }
            tasks:
              - { id: ask, prompt: hello }
            """);
        using var providers = Fanout.Providers.ProviderSetup.Create(plan, new Fanout.Providers.ProviderOptions { GetEnvironmentVariable = _ => "sk-fallback-test" });
        var options = new RunOptions { Executors = ExecutorRegistry.CreateDefault().With(new PromptExecutor(providers)) };

        var report = await new Scheduler(TaskGraph.Compile(plan), options).RunAsync();

        var task = report.Tasks.Single();
        Assert.True(task.Status == TaskState.Succeeded, task.Error);
        Assert.Equal(("backup", "backup-model"), (task.Provider, task.Model));
        // $1 per token at the backup's price: the cost is the backup model's, not the unreachable one's.
        Assert.Equal(task.Tokens!.Input + task.Tokens.Output, task.CostUsd);
        Assert.Equal(1, providers.Pools.Single().Keys.Single().Failed);
    }
}
