using System.Collections.Immutable;
using System.Text.Json;
using Fanout.Tests.Support;

namespace Fanout.Tests.Cache;

/// <summary>Cache keys change with everything that decides a result, and only with that.</summary>
public sealed class CacheKeyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fanout-cachekey-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly PlanDefinition Plan = new() { Name = "keys" };

    private static readonly PromptBody Prompt = new() { Prompt = "Describe {{inputs.topic}}", System = "Be brief", Model = "m", Temperature = 0 };

    private static TaskContext Context(TaskBody body, string topic = "cats", int attempt = 1, string? previousError = null, PlanDefinition? plan = null,
        string id = "t") =>
        new(new TaskDefinition { Id = id, Body = body }, id, attempt, plan ?? Plan, JsonSerializer.SerializeToElement(new { topic }),
            new Dictionary<string, DependencyResult>(), null, null, previousError, TimeProvider.System, Path.GetTempPath());

    private static string? PromptKey(TaskContext context) => new PromptExecutor(new FixedResolver(new ScriptedChatClient("x"))).CacheKey(context);

    [Fact]
    public void The_same_prompt_in_another_task_or_attempt_has_the_same_key()
    {
        Assert.Equal(PromptKey(Context(Prompt)), PromptKey(Context(Prompt, id: "other", attempt: 2)));
    }

    [Theory]
    [InlineData("model")]
    [InlineData("provider")]
    [InlineData("temperature")]
    [InlineData("max_tokens")]
    [InlineData("system")]
    [InlineData("schema")]
    public void Changing_a_prompt_parameter_changes_the_key(string field)
    {
        var changed = field switch
        {
            "model" => Prompt with { Model = "m2" },
            "provider" => Prompt with { Provider = "other" },
            "temperature" => Prompt with { Temperature = 0.5 },
            "max_tokens" => Prompt with { MaxTokens = 10 },
            "system" => Prompt with { System = "Be long" },
            _ => Prompt with { Schema = JsonSerializer.SerializeToElement(new { type = "object" }) },
        };

        Assert.NotEqual(PromptKey(Context(Prompt)), PromptKey(Context(changed)));
    }

    [Fact]
    public void The_rendered_message_is_part_of_the_key()
    {
        Assert.NotEqual(PromptKey(Context(Prompt, topic: "cats")), PromptKey(Context(Prompt, topic: "dogs")));
    }

    [Fact]
    public void The_plan_default_model_counts_when_the_task_names_none()
    {
        var body = Prompt with { Model = null };
        Assert.NotEqual(PromptKey(Context(body, plan: Plan with { Defaults = new PlanDefaults { Model = "a" } })),
            PromptKey(Context(body, plan: Plan with { Defaults = new PlanDefaults { Model = "b" } })));
    }

    [Fact]
    public void A_prompt_that_does_not_render_has_no_key()
    {
        Assert.Null(PromptKey(Context(Prompt with { Prompt = "{{tasks.missing.output}}" })));
    }

    private string? ProcessKey(ProcessBody body, string topic = "cats") =>
        ((ICacheableExecutor)new ProcessExecutor()).CacheKey(Context(body, topic, plan: Plan with { BaseDirectory = _directory }));

    [Fact]
    public void A_process_key_covers_argv_stdin_and_its_own_env_only()
    {
        var body = new ProcessBody { Argv = ["cat", "{{inputs.topic}}"], Stdin = "in", Env = ImmutableDictionary<string, string>.Empty.Add("A", "1") };
        var key = ProcessKey(body);

        Assert.Equal(key, ProcessKey(body));
        Assert.NotEqual(key, ProcessKey(body, topic: "dogs"));
        Assert.NotEqual(key, ProcessKey(body with { Stdin = "other" }));
        Assert.NotEqual(key, ProcessKey(body with { Env = body.Env.SetItem("A", "2") }));
    }

    [Fact]
    public void A_file_named_in_argv_is_hashed_by_content()
    {
        var file = Path.Combine(_directory, "input.txt");
        File.WriteAllText(file, "one");
        var body = new ProcessBody { Argv = ["wc", "-c", "input.txt"] };
        var before = ProcessKey(body);

        File.WriteAllText(file, "two");

        Assert.NotEqual(before, ProcessKey(body));
    }

    [Fact]
    public void A_merge_key_follows_its_dependencies_outputs()
    {
        var merge = (ICacheableExecutor)ExecutorRegistry.CreateDefault().Get("merge");
        var body = new MergeBody { Value = JsonSerializer.SerializeToElement(new { x = "{{tasks.a.output}}" }) };
        TaskContext With(string output) => new(new TaskDefinition { Id = "m", Body = body, Needs = ["a"] }, "m", 1, Plan, default,
            new Dictionary<string, DependencyResult> { ["a"] = new("a", TaskState.Succeeded, JsonSerializer.SerializeToElement(output), null) },
            null, null, null, TimeProvider.System, Path.GetTempPath());

        Assert.Equal(merge.CacheKey(With("1")), merge.CacheKey(With("1")));
        Assert.NotEqual(merge.CacheKey(With("1")), merge.CacheKey(With("2")));
    }
}
