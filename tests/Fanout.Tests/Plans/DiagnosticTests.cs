namespace Fanout.Tests.Plans;

public class DiagnosticTests
{
    [Fact]
    public void Wrong_type_is_reported_at_the_value_with_both_types()
    {
        var d = Load.Problem("""
            name: p
            concurrency: "16"
            tasks: [{ id: a, prompt: hi }]
            """);
        Assert.Equal("'concurrency' must be an integer, got string", d.Message);
        Assert.Equal(new SourceLocation("plan.yaml", 2, 14), d.Location);
    }

    [Fact]
    public void Integer_below_the_minimum_is_reported()
    {
        var d = Load.Problem("""
            name: p
            pools: { images: 0 }
            tasks: [{ id: a, prompt: hi, pool: images }]
            """);
        Assert.Equal("pools: 'images' must be an integer from 1 to 100000, got 0", d.Message);
        Assert.Equal("2:18", d.At());
    }

    [Fact]
    public void Unknown_field_suggests_the_nearest_one()
    {
        var d = Load.Problem("""
            name: p
            tasks:
              - id: a
                prompt: hi
                temprature: 0.2
            """);
        Assert.Equal("task 'a': unknown field 'temprature' (did you mean 'temperature'?)", d.Message);
        Assert.Equal("5:5", d.At());
    }

    [Fact]
    public void Unknown_top_level_field_without_a_near_name_lists_the_valid_ones()
    {
        var d = Load.Problem("""
            name: p
            colour: blue
            tasks: [{ id: a, prompt: hi }]
            """);
        Assert.StartsWith("unknown field 'colour'; expected one of: $schema, name, description, concurrency", d.Message);
    }

    [Fact]
    public void Field_of_another_kind_says_which_kind_uses_it()
    {
        var d = Load.Problem("""
            name: p
            tasks:
              - id: a
                kind: prompt
                prompt: hi
                argv: [ls]
            """);
        Assert.Equal("task 'a': 'argv' is not a field of prompt tasks (process tasks use it)", d.Message);
        Assert.Equal("6:5", d.At());
    }

    [Fact]
    public void Fields_of_several_kinds_without_a_kind_are_reported()
    {
        var d = Load.Problem("""
            name: p
            tasks: [{ id: a, prompt: hi, argv: [ls] }]
            """);
        Assert.Equal("task 'a': has fields of several kinds (prompt, process); keep one, or set 'kind'", d.Message);
    }

    [Fact]
    public void Invalid_enum_value_lists_the_valid_values()
    {
        var d = Load.Problem("""
            name: p
            tasks:
              - id: a
                prompt: hi
              - id: b
                needs: a
                after: sometimes
                prompt: hi
            """);
        Assert.Equal("task 'b': 'after' must be one of: succeeded, settled; got 'sometimes'", d.Message);
        Assert.Equal("7:12", d.At());
    }

    [Fact]
    public void Invalid_duration_shows_the_accepted_forms()
    {
        var d = Load.Problem("""
            name: p
            tasks: [{ id: a, prompt: hi, timeout: soon }]
            """);
        Assert.Equal("task 'a': 'timeout' must be a duration such as 250ms, 1.5s, 2m, 1h or a number of seconds, got 'soon'", d.Message);
    }

    [Fact]
    public void Durations_accept_a_number_of_seconds()
    {
        var plan = Load.Yaml("""
            name: p
            tasks: [{ id: a, prompt: hi, timeout: 90, estimate: 1.5 }]
            """);
        Assert.Equal(TimeSpan.FromSeconds(90), plan.Tasks[0].Timeout);
        Assert.Equal(TimeSpan.FromSeconds(1.5), plan.Tasks[0].Estimate);
    }

    [Fact]
    public void Unknown_dependency_suggests_the_nearest_task()
    {
        var d = Load.Problem("""
            name: p
            tasks:
              - id: research
                prompt: hi
              - id: write
                needs: [reserch]
                prompt: hi
            """);
        Assert.Equal("task 'write' needs unknown task 'reserch' (did you mean 'research'?)", d.Message);
        Assert.Equal("6:13", d.At());
    }

    [Fact]
    public void Cycle_is_reported_with_its_path_and_location()
    {
        var d = Load.Problem("""
            name: p
            tasks:
              - { id: a, needs: b, prompt: hi }
              - { id: b, needs: a, prompt: hi }
            """);
        Assert.Equal("dependency cycle: a → b → a", d.Message);
        Assert.Equal("3:21", d.At());
    }

    [Fact]
    public void Unknown_template_reference_is_reported_at_the_template()
    {
        var d = Load.Problem("""
            name: p
            tasks:
              - id: a
                prompt: "Summarise {{output}}"
            """);
        Assert.StartsWith("task 'a' prompt: unknown reference 'output': templates read inputs.<name>, tasks.<id>.output", d.Message);
        Assert.Equal("4:13", d.At());
    }

    [Fact]
    public void Item_outside_a_foreach_task_is_reported()
    {
        var d = Load.Problem("""
            name: p
            tasks: [{ id: a, prompt: "{{item}}" }]
            """);
        Assert.Equal("task 'a' prompt: 'item' is only defined in a task with foreach", d.Message);
    }

    [Fact]
    public void Reference_to_a_task_not_in_needs_is_reported()
    {
        var d = Load.Problem("""
            name: p
            tasks:
              - { id: outline, prompt: hi }
              - id: draft
                prompt: "Expand {{tasks.outline.output}}"
            """);
        Assert.Equal("task 'draft' prompt: references tasks.outline but 'outline' is not in needs; add it to needs", d.Message);
        Assert.Equal("5:13", d.At());
    }

    [Fact]
    public void Reference_in_an_env_value_is_located_at_that_value()
    {
        var d = Load.Problem("""
            name: p
            tasks:
              - id: a
                argv: [env]
                env:
                  TOPIC: "{{inputs.topic}}"
            """);
        Assert.Contains("undeclared input 'topic'", d.Message);
        Assert.Equal("6:14", d.At());
    }

    [Fact]
    public void Reference_in_a_merge_is_located_at_the_nested_value()
    {
        var d = Load.Problem("""
            name: p
            tasks:
              - { id: a, prompt: hi }
              - id: m
                needs: a
                merge:
                  list: [ "{{tasks.a.output}}", "{{tasks.b.output}}" ]
            """);
        Assert.Equal("task 'm' merge.list[1]: references unknown task 'b' (did you mean 'a'?)", d.Message);
        Assert.Equal("7:37", d.At());
    }

    [Fact]
    public void Several_problems_are_reported_together_in_file_order()
    {
        var problems = Load.Problems("""
            name: p
            concurrency: many
            tasks:
              - id: research
                prompt: hi
                retyr: 2
              - id: write
                needs: [reserch]
                after: sometimes
                prompt: "{{tasks.research.output}}"
            """);
        Assert.Equal(
            [
                "2:14 'concurrency' must be an integer, got string",
                "6:5 task 'research': unknown field 'retyr' (did you mean 'retry'?)",
                "8:13 task 'write' needs unknown task 'reserch' (did you mean 'research'?)",
                "9:12 task 'write': 'after' must be one of: succeeded, settled; got 'sometimes'",
                "10:13 task 'write' prompt: references tasks.research but 'research' is not in needs; add it to needs",
            ],
            problems.Select(p => $"{p.At()} {p.Message}"));
    }

    [Fact]
    public void Duplicate_keys_are_reported_and_reading_goes_on()
    {
        var problems = Load.Problems("""
            name: p
            tasks:
              - id: a
                prompt: one
                prompt: two
              - id: b
                needs: c
                prompt: hi
            """);
        Assert.Equal(
            ["5:5 duplicate key 'prompt' (first defined at plan.yaml:4:5)", "7:12 task 'b' needs unknown task 'c' (did you mean 'a'?)"],
            problems.Select(p => $"{p.At()} {p.Message}"));
    }

    [Fact]
    public void Prompt_task_without_a_prompt_is_reported()
    {
        var d = Load.Problem("""
            name: p
            tasks:
              - id: a
                kind: prompt
                model: gpt-4o
            """);
        Assert.Equal("task 'a': a prompt task needs 'prompt' (a template) or 'prompt_file' (a file next to the plan)", d.Message);
        Assert.Equal("3:9", d.At());
    }

    [Fact]
    public void Task_with_nothing_to_run_is_reported()
    {
        var d = Load.Problem("""
            name: p
            tasks: [{ id: a }]
            """);
        Assert.Equal("task 'a': nothing to run: give the task 'prompt' (or 'prompt_file'), 'argv', 'merge' or 'worker'", d.Message);
    }

    [Fact]
    public void Process_task_needs_a_non_empty_argv()
    {
        var d = Load.Problem("""
            name: p
            tasks: [{ id: a, argv: [] }]
            """);
        Assert.Equal("task 'a': a process task needs a non-empty 'argv': the program and its arguments, one per entry", d.Message);
    }

    [Fact]
    public void Templated_shell_script_is_rejected()
    {
        var d = Load.Problem("""
            name: p
            inputs: { name: { type: string } }
            tasks:
              - id: greet
                shell: true
                argv: ["echo {{inputs.name}}"]
            """);
        Assert.StartsWith("task 'greet': with 'shell: true', argv[0] is a fixed script and must not contain templates", d.Message);
        Assert.Contains("$1, $2", d.Message);
        Assert.Equal("6:12", d.At());
    }

    [Fact]
    public void Shell_script_may_take_templated_arguments()
    {
        var plan = Load.Yaml("""
            name: p
            inputs: { name: { type: string } }
            tasks:
              - id: greet
                shell: true
                argv: ['echo "hello $1"', "{{inputs.name}}"]
            """);
        Assert.True(Assert.IsType<ProcessBody>(plan.Tasks[0].Body).Shell);
    }

    [Fact]
    public void Prompt_and_prompt_file_together_are_rejected()
    {
        var d = Load.Problem("""
            name: p
            tasks: [{ id: a, prompt: hi, prompt_file: x.md }]
            """);
        Assert.Equal("task 'a': use either 'prompt' or 'prompt_file', not both", d.Message);
    }

    [Fact]
    public void Missing_prompt_file_is_reported_at_the_line_naming_it()
    {
        var d = Load.Problem("""
            name: p
            tasks:
              - id: a
                prompt_file: prompts/missing.md
            """, baseDirectory: Fixtures.Dir);
        Assert.StartsWith("task 'a': 'prompt_file': cannot read 'prompts/missing.md' (no such file: ", d.Message);
        Assert.Equal("4:18", d.At());
    }

    [Fact]
    public void Map_form_of_tasks_is_rejected()
    {
        var d = Load.Problem("""
            name: p
            tasks:
              a: { prompt: hi }
            """);
        Assert.StartsWith("'tasks' must be a list", d.Message);
    }

    [Fact]
    public void Missing_name_and_task_id_are_reported()
    {
        var problems = Load.Problems("""
            tasks:
              - prompt: hi
            """);
        Assert.Equal(["1:1 the plan needs a 'name'", "2:5 task #1 needs an 'id'"], problems.Select(p => $"{p.At()} {p.Message}"));
    }

    [Fact]
    public void Undeclared_provider_is_reported_when_the_plan_declares_providers()
    {
        var d = Load.Problem("""
            name: p
            providers: { openai: { type: openai } }
            tasks: [{ id: a, prompt: hi, provider: opnai }]
            """);
        Assert.Equal("task 'a' uses unknown provider 'opnai' (did you mean 'openai'?); declared providers: openai", d.Message);
        Assert.Equal("3:40", d.At());
    }

    [Fact]
    public void Provider_without_a_type_is_reported()
    {
        var d = Load.Problem("""
            name: p
            providers:
              llm: { model: x }
            tasks: [{ id: a, prompt: hi }]
            """);
        Assert.Equal("provider 'llm': 'type' is required (simulated, openai, anthropic…)", d.Message);
    }

    [Fact]
    public void As_without_foreach_is_reported()
    {
        var d = Load.Problem("""
            name: p
            tasks: [{ id: a, prompt: hi, as: page }]
            """);
        Assert.Equal("task 'a': 'as' only applies to a task with 'foreach'", d.Message);
    }

    [Fact]
    public void Foreach_path_may_be_written_with_braces()
    {
        var plan = Load.Yaml("""
            name: p
            inputs: { pages: { type: array } }
            tasks: [{ id: a, prompt: "{{item}}", foreach: "{{inputs.pages}}" }]
            """);
        Assert.Equal("inputs.pages", plan.Tasks[0].Foreach!.Path);
    }

    [Fact]
    public void Process_output_schema_is_rejected()
    {
        var d = Load.Problem("""
            name: p
            tasks: [{ id: a, argv: [ls], output: { schema: {} } }]
            """);
        Assert.Equal("task 'a': a process task's 'output' is text or json ('schema' applies to prompt tasks; use a contract to check its JSON)", d.Message);
    }

    [Fact]
    public void Yaml_merge_keys_share_settings_between_tasks()
    {
        var plan = Load.Yaml("""
            name: p
            tasks:
              - &common { id: a, prompt: hi, timeout: 5s, retry: 1 }
              - { <<: *common, id: b }
            """);
        Assert.Equal(TimeSpan.FromSeconds(5), plan.Tasks[1].Timeout);
        Assert.Equal("b", plan.Tasks[1].Id);
    }

    [Fact]
    public void Core_validation_runs_even_when_only_core_finds_problems()
    {
        var d = Load.Problem("""
            name: p
            tasks: [{ id: a, prompt: hi, pool: gpu }]
            """);
        Assert.Equal("task 'a' uses undeclared pool 'gpu'; declare it under 'pools:'", d.Message);
        Assert.Equal("2:36", d.At());
    }

    [Fact]
    public void Dependency_listed_twice_is_reported()
    {
        var d = Load.Problem("""
            name: p
            tasks:
              - { id: a, prompt: hi }
              - { id: b, needs: [a, a], prompt: hi }
            """);
        Assert.Equal("task 'b': 'a' is listed twice in 'needs'", d.Message);
        Assert.Equal("4:25", d.At());
    }

    [Fact]
    public void Default_that_does_not_match_its_input_type_is_reported_at_the_input()
    {
        var d = Load.Problem("""
            name: p
            inputs:
              count: { type: integer, default: many }
            tasks: [{ id: a, prompt: "{{inputs.count}}" }]
            """);
        Assert.Equal("default of input 'count' must be integer, got string", d.Message);
        Assert.Equal("3:3", d.At());
    }

    [Fact]
    public void Default_is_checked_against_the_whole_input_schema_with_json_pointers()
    {
        var d = Load.Problem("""
            name: p
            inputs:
              project:
                type: object
                required: [name]
                properties: { goals: { type: array, items: { type: string }, maxItems: 2 } }
                default: { name: Acme, goals: [a, 2, c] }
            tasks: [{ id: a, prompt: "{{inputs.project.name}}" }]
            """);
        Assert.Equal("default of input 'project' /goals: must have at most 2 items, got 3; /goals/1: must be string, got integer", d.Message);
    }

    [Fact]
    public void Missing_at_file_default_is_reported_at_the_default()
    {
        var d = Load.Problem("""
            name: p
            inputs:
              brief: { type: string, default: "@missing.md" }
            tasks: [{ id: a, prompt: "{{inputs.brief}}" }]
            """, baseDirectory: Fixtures.Dir);
        Assert.StartsWith("input 'brief': default: cannot read 'missing.md' (no such file: ", d.Message);
        Assert.Equal("3:35", d.At());
    }

    [Fact]
    public void Double_at_default_is_a_literal_at()
    {
        var plan = Load.Yaml("""
            name: p
            inputs:
              handle: { type: string, default: "@@bakery" }
            tasks: [{ id: a, prompt: "{{inputs.handle}}" }]
            """);
        Assert.Equal("@bakery", plan.Inputs[0].Default!.Value.GetString());
    }
}
