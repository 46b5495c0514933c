using System.Text.Json;
using Fanout.Tests.Support;

namespace Fanout.Tests.Templates;

/// <summary>Static checks of template references, run by <see cref="TaskGraph.Validate"/>.</summary>
public class ReferenceCheckTests
{
    private static TaskDefinition Prompt(string id, string prompt, params string[] needs) =>
        new() { Id = id, Body = new PromptBody { Prompt = prompt }, Needs = [.. needs] };

    private static List<string> Problems(params TaskDefinition[] tasks)
    {
        var builder = new PlanBuilder("refs").Configure(p => p with { Inputs = [new InputDefinition { Name = "topic" }] });
        builder.Task("plan", Sim.Work(1));
        foreach (var task in tasks)
        {
            builder.Add(task);
        }

        return TaskGraph.Validate(builder.Build()).Select(d => d.Message).ToList();
    }

    [Fact]
    public void Valid_references_pass()
    {
        Assert.Empty(Problems(Prompt("write", "{{inputs.topic}} {{tasks.plan.output.title}} {{tasks.plan.status}} {{tasks.plan.error}}", "plan")));
    }

    [Fact]
    public void Unknown_task_reference_is_reported_with_a_suggestion()
    {
        Assert.Equal(["task 'write' prompt: references unknown task 'plna' (did you mean 'plan'?)"],
            Problems(Prompt("write", "{{tasks.plna.output}}", "plan")));
    }

    [Fact]
    public void Reference_to_a_task_not_in_needs_is_reported()
    {
        Assert.Equal(["task 'write' prompt: references tasks.plan but 'plan' is not in needs; add it to needs"],
            Problems(Prompt("write", "{{tasks.plan.output}}")));
    }

    [Fact]
    public void Unknown_field_of_a_task_is_reported()
    {
        Assert.Equal(["task 'write' prompt: tasks.plan.outputs does not exist; a task exposes output, status, error and (fan-out) items"],
            Problems(Prompt("write", "{{tasks.plan.outputs}}", "plan")));
    }

    [Fact]
    public void Undeclared_input_is_reported_with_a_suggestion()
    {
        Assert.Equal(["task 'write' prompt: references undeclared input 'topik' (did you mean 'topic'?); declare it under 'inputs:'"],
            Problems(Prompt("write", "{{inputs.topik}}")));
    }

    [Fact]
    public void Item_outside_a_foreach_is_reported()
    {
        Assert.Equal(["task 'write' prompt: 'item' is only defined in a task with foreach"],
            Problems(Prompt("write", "{{item.title}}")));
    }

    [Fact]
    public void Item_index_and_as_name_are_allowed_inside_a_foreach()
    {
        var task = Prompt("write", "{{index}} {{item.title}} {{page.title}}", "plan") with
        {
            Foreach = new ForeachSpec { Path = "tasks.plan.output.pages", As = "page" },
        };

        Assert.Empty(Problems(task));
    }

    [Fact]
    public void Foreach_path_is_checked_like_a_template()
    {
        var task = Prompt("write", "{{item}}") with { Foreach = new ForeachSpec { Path = "tasks.plan.output.pages" } };

        Assert.Equal(["task 'write' foreach: references tasks.plan but 'plan' is not in needs; add it to needs"], Problems(task));
    }

    [Fact]
    public void Syntax_error_is_reported()
    {
        var problems = Problems(Prompt("write", "{{#if inputs.topic}}open"));

        var problem = Assert.Single(problems);
        Assert.StartsWith("task 'write' prompt: template syntax error: ", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_root_is_reported_with_what_templates_may_read()
    {
        Assert.Equal(["task 'write' prompt: unknown reference 'topic': templates read inputs.<name>, tasks.<id>.output|status|error|items"],
            Problems(Prompt("write", "{{topic}}")));
    }

    [Fact]
    public void Templates_in_merge_process_and_env_fields_are_checked_with_their_field_name()
    {
        var merge = new TaskDefinition
        {
            Id = "merge",
            Body = new MergeBody { Value = JsonDocument.Parse("""{"a": ["{{tasks.nope.output}}"]}""").RootElement },
        };
        var process = new TaskDefinition
        {
            Id = "proc",
            Body = new ProcessBody
            {
                Argv = ["echo", "{{inputs.nope}}"],
                Env = System.Collections.Immutable.ImmutableDictionary<string, string>.Empty.Add("X", "{{item}}"),
            },
        };

        Assert.Equal(
            [
                "task 'merge' merge.a[0]: references unknown task 'nope'",
                "task 'proc' argv[1]: references undeclared input 'nope'; declare it under 'inputs:'",
                "task 'proc' env.X: 'item' is only defined in a task with foreach",
            ],
            Problems(merge, process));
    }

    [Fact]
    public void Paths_inside_each_blocks_are_relative_to_the_block()
    {
        Assert.Empty(Problems(Prompt("write", "{{#each tasks.plan.output.pages}}{{title}}{{/each}}", "plan")));
    }

    [Fact]
    public void Item_and_index_inside_an_each_block_of_a_plain_task_are_fields_of_the_block_element()
    {
        Assert.Empty(Problems(Prompt("write", "{{#each tasks.plan.items}}{{index}}:{{item.id}}{{/each}}", "plan")));
    }

    [Fact]
    public void Helper_name_inside_a_subexpression_is_not_taken_for_a_path()
    {
        Assert.Empty(Problems(Prompt("write", "{{#if (eq tasks.plan.status \"failed\")}}retry{{/if}}", "plan")));
    }

    [Fact]
    public void Paths_inside_a_subexpression_are_still_checked()
    {
        Assert.Equal(["task 'write' prompt: references tasks.plan but 'plan' is not in needs; add it to needs"],
            Problems(Prompt("write", "{{#if (eq tasks.plan.status \"failed\")}}retry{{/if}}")));
    }
}
