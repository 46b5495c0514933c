using System.Text.Json;
using Fanout.Plans;

namespace Fanout.Tests.Plans;

public class FullPlanTests
{
    private static readonly PlanDefinition Site = PlanLoader.Load(Fixtures.PathOf("full/site.yaml"));

    private static TaskDefinition Task(string id) => Site.Tasks.Single(t => t.Id == id);

    [Fact]
    public void Plan_level_fields_are_read()
    {
        Assert.Equal("site-generator", Site.Name);
        Assert.Equal("Builds a small website for a business.", Site.Description);
        Assert.Equal(16, Site.Concurrency);
        Assert.Equal(FailurePolicy.FailFast, Site.OnFailure);
        Assert.Equal(4, Site.Pools["images"]);
        Assert.Equal(Fixtures.PathOf("full/site.yaml"), Site.SourceFile);
        Assert.Equal(Fixtures.PathOf("full"), Site.BaseDirectory);
    }

    [Fact]
    public void Inputs_keep_schema_description_and_default()
    {
        var business = Site.Inputs.Single(i => i.Name == "business");
        Assert.Equal("The business the site is for.", business.Description);
        Assert.Equal("Acme Bakery", business.Default!.Value.GetString());
        Assert.Equal("string", business.Schema.GetProperty("type").GetString());
        Assert.False(business.Schema.TryGetProperty("default", out _));
        Assert.Equal(["home", "menu"], Site.Inputs.Single(i => i.Name == "pages").Default!.Value.EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(new SourceLocation(Fixtures.PathOf("full/site.yaml"), 8, 3), business.Location);
    }

    [Fact]
    public void At_file_default_is_the_contents_of_the_file_next_to_the_plan()
    {
        var brief = Site.Inputs.Single(i => i.Name == "brief");
        Assert.Equal("A family bakery since 1952.\n", brief.Default!.Value.GetString());
    }

    [Fact]
    public void Defaults_are_read_with_durations_and_a_retry_object()
    {
        Assert.Equal("llm", Site.Defaults.Provider);
        Assert.Equal("gpt-4o-mini", Site.Defaults.Model);
        Assert.Equal(TimeSpan.FromSeconds(60), Site.Defaults.Timeout);
        Assert.Equal(new RetryPolicy { MaxAttempts = 4, BaseDelay = TimeSpan.FromMilliseconds(500), MaxDelay = TimeSpan.FromSeconds(10), Jitter = false },
            Site.Defaults.Retry);
    }

    [Fact]
    public void Provider_keeps_its_whole_entry_and_where_each_value_is()
    {
        var llm = Assert.Single(Site.Providers);
        Assert.Equal(("llm", "openai"), (llm.Name, llm.Type));
        Assert.Equal("${OPENAI_API_KEY}", llm.Config.GetProperty("api_key").GetString());
        Assert.Equal("800ms", llm.Config.GetProperty("models").GetProperty("gpt-4o-mini").GetProperty("latency").GetString());
        Assert.Equal((31, 31), Position(llm.Locations["models.gpt-4o-mini.latency"]));
        Assert.Equal((27, 11), Position(llm.Locations["type"]));
        Assert.Equal((26, 3), Position(llm.Location!));
    }

    [Fact]
    public void Prompt_task_reads_every_field_and_the_system_file()
    {
        var strategy = Task("strategy");
        var body = Assert.IsType<PromptBody>(strategy.Body);
        Assert.Equal("Positioning and tone.", strategy.Description);
        Assert.Equal("You are a senior brand strategist.\n", body.System);
        Assert.Equal("Write a strategy for {{inputs.business}}. Brief: {{inputs.brief}}", body.Prompt);
        Assert.Equal(0.7, body.Temperature);
        Assert.Equal(1500, body.MaxTokens);
        Assert.Equal(TimeSpan.FromSeconds(3), strategy.Estimate);
        Assert.Equal(OutputFormat.Text, body.Output);
    }

    [Fact]
    public void Prompt_file_and_schema_file_are_read_relative_to_the_plan()
    {
        var body = Assert.IsType<PromptBody>(Task("image_plan").Body);
        Assert.Equal("Plan images for this strategy: {{tasks.strategy.output}}\n", body.Prompt);
        Assert.Equal(OutputFormat.Json, body.Output);
        Assert.Equal(["style", "images"], body.Schema!.Value.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("gpt-4o", body.Model);
    }

    [Fact]
    public void Kind_is_inferred_from_the_body_fields()
    {
        Assert.Equal(["prompt", "prompt", "process", "process", "prompt", "merge"], Site.Tasks.Select(t => t.Kind));
    }

    [Fact]
    public void Retry_shorthand_sets_attempts_and_keeps_the_plan_defaults_for_the_rest()
    {
        Assert.Equal(Site.Defaults.Retry with { MaxAttempts = 2 }, Task("image_plan").Retry);
        Assert.Null(Task("strategy").Retry);
        Assert.Equal(TimeSpan.FromSeconds(30), Task("image_plan").Timeout);
    }

    [Fact]
    public void Process_task_reads_argv_env_stdin_cwd_pool_and_foreach()
    {
        var images = Task("images");
        var body = Assert.IsType<ProcessBody>(images.Body);
        Assert.Equal(["python3", "render.py", "{{image.prompt}}", "{{index}}"], body.Argv.ToArray());
        Assert.Equal("{{json image}}", body.Stdin);
        Assert.Equal("1024", body.Env["WIDTH"]);
        Assert.Equal("{{tasks.image_plan.output.style}}", body.Env["STYLE"]);
        Assert.Equal("tools", body.WorkingDirectory);
        Assert.Equal(OutputFormat.Json, body.Output);
        Assert.False(body.Shell);
        Assert.Equal("images", images.Pool);
        Assert.Equal(new ForeachSpec { Path = "tasks.image_plan.output.images", As = "image", MaxFailures = 1 }, images.Foreach);
    }

    [Fact]
    public void Literal_foreach_shell_and_optional_are_read()
    {
        var checks = Task("checks");
        Assert.Equal("[\"a\",\"b\"]", checks.Foreach!.Items!.Value.GetRawText().Replace(" ", "", StringComparison.Ordinal));
        Assert.Null(checks.Foreach.Path);
        Assert.True(Assert.IsType<ProcessBody>(checks.Body).Shell);
        Assert.True(checks.Optional);
    }

    [Fact]
    public void After_and_inline_output_schema_are_read()
    {
        var pages = Task("pages");
        Assert.Equal(DependencyTrigger.Settled, pages.After);
        var body = Assert.IsType<PromptBody>(pages.Body);
        Assert.Equal(OutputFormat.Json, body.Output);
        Assert.Equal("object", body.Schema!.Value.GetProperty("type").GetString());
    }

    [Fact]
    public void Merge_body_is_the_json_value_as_written()
    {
        var body = Assert.IsType<MergeBody>(Task("site").Body);
        Assert.Equal("""{"strategy":"{{tasks.strategy.output}}","images":"{{tasks.images.items}}","parts":["{{tasks.pages.output.title}}","fixed"]}""",
            JsonSerializer.Serialize(body.Value));
    }

    [Fact]
    public void Needs_as_a_single_string_is_one_dependency()
    {
        Assert.Equal(["strategy"], Task("image_plan").Needs.ToArray());
        Assert.Equal((47, 12), Position(Task("image_plan").Locations["needs[0]"]));
    }

    [Fact]
    public void Locations_use_the_keys_core_reports_with()
    {
        Assert.Equal((37, 9), Position(Task("strategy").Locate("id")!));
        Assert.Equal((73, 23), Position(Task("pages").Locations["needs[1]"]));
        Assert.Equal((60, 32), Position(Task("images").Locations["argv[2]"]));
        Assert.Equal((62, 19), Position(Task("images").Locations["env.STYLE"]));
        Assert.Equal((57, 14), Position(Task("images").Locations["foreach"]));
        Assert.Equal((56, 11), Position(Task("images").Locations["pool"]));
        Assert.Equal((86, 16), Position(Task("site").Locations["merge.parts[0]"]));
        Assert.Equal((84, 17), Position(Task("site").Locations["merge.strategy"]));
        // A prompt read from a file is located at the line naming the file.
        Assert.Equal((49, 18), Position(Task("image_plan").Locations["prompt"]));
    }

    [Fact]
    public void Every_template_field_has_a_location()
    {
        foreach (var task in Site.Tasks)
        {
            foreach (var (field, _) in task.Body.Templates())
            {
                Assert.True(task.Locations.ContainsKey(field), $"{task.Id}: no location for {field}");
            }
        }
    }

    [Fact]
    public void Yaml_and_json_versions_of_a_plan_are_equal()
    {
        var fromJson = PlanLoader.Load(Fixtures.PathOf("full/site.json"));
        Assert.Equal(PlanText.Describe(Site), PlanText.Describe(fromJson));
    }

    [Fact]
    public void Json_plan_locations_point_into_the_json_file()
    {
        var fromJson = PlanLoader.Load(Fixtures.PathOf("full/site.json"));
        var strategy = fromJson.Tasks.Single(t => t.Id == "strategy");
        Assert.Equal(Fixtures.PathOf("full/site.json"), strategy.Locate("id")!.File);
        var line = File.ReadAllLines(Fixtures.PathOf("full/site.json"))[strategy.Locate("id")!.Line - 1];
        Assert.Equal("\"strategy\",", line[(strategy.Locate("id")!.Column - 1)..]);
    }

    [Fact]
    public void A_loaded_plan_compiles()
    {
        var graph = TaskGraph.Compile(Site);
        Assert.Equal(6, graph.Count);
    }

    private static (int Line, int Column) Position(SourceLocation at) => (at.Line, at.Column);
}
