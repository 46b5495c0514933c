using Fanout.Templates;
using Fanout.Tests.Cli;

namespace Fanout.Tests.Templates;

/// <summary>
/// Issue 11 item 7: a template Handlebars compiles but could only fail when rendered is rejected by
/// <c>fanout validate</c>, at the field that holds it and with its place inside the template; and the run refuses it
/// the same way (one set of rules).
/// </summary>
public sealed class RunTimeTemplateErrorTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("{{#unless}}{{/unless}}", "at line 1, column 1 of the template ('{{#unless}}'): '#unless' needs exactly one value, got none")]
    [InlineData("{{#if}}x{{/if}}", "at line 1, column 1 of the template ('{{#if}}'): '#if' needs exactly one value, got none")]
    [InlineData("{{#with}}{{/with}}", "at line 1, column 1 of the template ('{{#with}}'): '#with' needs exactly one value, got none")]
    [InlineData("a {{#if inputs.x}}x", "at line 1, column 3 of the template ('{{#if inputs.x}}'): '#if' is never closed; end it with {{/if}}")]
    [InlineData("{{> header}}", "at line 1, column 1 of the template ('{{> header}}'): partials are not supported (Fanout registers none); write the text in the template")]
    [InlineData("{{#> layout}}x{{/layout}}", "at line 1, column 1 of the template ('{{#> layout}}'): partial blocks are not supported (Fanout registers no partials)")]
    [InlineData("{{#*inline \\\"p\\\"}}x{{/inline}}", "at line 1, column 1 of the template ('{{#*inline \"p\"}}'): decorators and inline partials are not supported")]
    [InlineData("{{shout inputs.x}}", "at line 1, column 1 of the template ('{{shout inputs.x}}'): unknown helper 'shout'; helpers are json, eq, lookup (a value is written alone, as {{inputs.x}})")]
    [InlineData("{{#eq inputs.x 1}}y{{/eq}}", "at line 1, column 1 of the template ('{{#eq inputs.x 1}}'): 'eq' is a helper, not a block: write {{eq …}} without '#'")]
    [InlineData("{{lookup inputs}}", "at line 1, column 1 of the template ('{{lookup inputs}}'): 'lookup' takes 2 or 3 values, got 1")]
    [InlineData("{{json (upper inputs.x)}}", "at line 1, column 1 of the template ('{{json (upper inputs.x)}}'): '(upper inputs.x)' calls unknown helper 'upper'; helpers are json, eq, lookup")]
    [InlineData("{{else}}", "at line 1, column 1 of the template ('{{else}}'): '{{else}}' outside a block; it belongs between {{#if …}} and {{/if}}")]
    [InlineData("{{#if inputs.x}}a{{else}}b{{else}}c{{/if}}", "at line 1, column 27 of the template ('{{else}}'): a second '{{else}}' in one '#if' block")]
    [InlineData("{{#if inputs.x}}a{{/each}}", "at line 1, column 18 of the template ('{{/each}}'): '{{/each}}' closes '#if'; write {{/if}}")]
    [InlineData("x\\n  {{#each}}{{/each}}", "at line 2, column 3 of the template ('{{#each}}'): '#each' needs exactly one value, got none")]
    public async Task Validate_rejects_a_template_that_would_fail_at_run_time_with_its_file_line_column_and_place_in_the_template(string template, string problem)
    {
        var plan = _cli.Plan($"name: t\ninputs:\n  x: {{ type: string, default: v }}\ntasks:\n  - id: t\n    prompt: \"{template}\"\n");

        var result = await _cli.RunAsync("validate", plan);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"{plan}:6:13: error: task 't' prompt: template syntax error: {problem}\n", result.Error);
    }

    [Fact]
    public async Task A_prompt_file_template_is_checked_and_reported_at_the_line_that_names_the_file()
    {
        File.WriteAllText(_cli.FilePath("prompt.txt"), "Write about {{inputs.x}}.\n\n{{#unless}}nothing{{/unless}}\n");
        var plan = _cli.Plan("name: t\ninputs:\n  x: { type: string, default: v }\ntasks:\n  - id: t\n    prompt_file: prompt.txt\n");

        var result = await _cli.RunAsync("validate", plan);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"{plan}:6:18: error: task 't' prompt: template syntax error: at line 3, column 1 of the template ('{{{{#unless}}}}'): '#unless' needs exactly one value, got none\n", result.Error);
    }

    [Theory]
    [InlineData("{{#each inputs.list as |word i|}}{{i}}={{word}} {{/each}}")]
    [InlineData("{{#if inputs.x}}a{{else if inputs.y}}b{{else}}c{{/if}}")]
    [InlineData("{{~#unless inputs.x~}} none {{~else~}} some {{~/unless~}}")]
    [InlineData("{{json (lookup inputs \"x\")}} {{lookup inputs.list 0}}")]
    [InlineData("{{#if (eq inputs.x \"v\")}}yes{{/if}} {{{inputs.x}}} {{! a comment }} {{!-- another --}}")]
    [InlineData("{{#with inputs}}{{x}}{{/with}} {{#each inputs.list}}{{@index}}{{this}}{{/each}}")]
    public async Task Templates_that_validate_also_render(string template)
    {
        var plan = _cli.Plan($"name: t\ninputs:\n  x: {{ type: string, default: v }}\n  y: {{ type: string, default: w }}\n  list: {{ type: array, default: [a, b] }}\ntasks:\n  - id: t\n    merge: {{ text: '{template}' }}\n");

        var result = await _cli.RunAsync("run", plan, "--store", "memory", "--out", _cli.FilePath("out"), "--plain");

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Ten_thousand_nested_blocks_are_refused_by_validate_and_by_the_engine_without_overflowing_the_stack()
    {
        var deep = string.Concat(Enumerable.Repeat("{{#if inputs.x}}", 10_000)) + string.Concat(Enumerable.Repeat("{{/if}}", 10_000));
        var plan = _cli.Plan($"name: t\ninputs:\n  x: {{ type: string, default: v }}\ntasks:\n  - id: t\n    prompt: \"{deep}\"\n");

        using var fanout = FanoutProcess.Start(_cli.Directory, "validate", plan);
        var exit = await fanout.ExitAsync(TimeSpan.FromSeconds(30));
        var rendering = Assert.Throws<TemplateException>(() => TemplateEngine.Render(deep, TemplateScope.Empty));

        Assert.True(exit.ExitCode == 2, exit.ToString());
        var expected = $"at line 1, column {(TemplateRules.MaxDepth * "{{#if inputs.x}}".Length) + 1} of the template ('{{{{#if inputs.x}}}}'): blocks are nested more than 32 deep";
        Assert.Equal($"{plan}:6:13: error: task 't' prompt: template syntax error: {expected}\n", exit.Error);
        Assert.Equal(expected, rendering.Message);
    }

    [Fact]
    public void Else_if_chains_count_towards_the_nesting_limit()
    {
        var chain = "{{#if a}}" + string.Concat(Enumerable.Range(0, 40).Select(i => $"{{{{else if b{i}}}}}")) + "{{/if}}";

        var problem = TemplateEngine.SyntaxError(chain);

        Assert.Contains("blocks (counting each {{else if}}) are nested more than 32 deep", problem);
    }
}
