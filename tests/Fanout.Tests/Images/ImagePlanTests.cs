using Fanout.Tests.Plans;

namespace Fanout.Tests.Images;

/// <summary>Reading <c>kind: image</c> tasks, with located errors.</summary>
public class ImagePlanTests
{
    [Fact]
    public void Image_task_fields_are_read()
    {
        var plan = Load.Yaml("""
            name: p
            tasks:
              - id: hero
                kind: image
                provider: sim
                model: dall-e-3
                prompt: "a {{inputs.thing}}"
                size: 1792x1024
                quality: hd
                n: 3
            inputs: { thing: { type: string, default: cat } }
            """);

        var body = Assert.IsType<ImageBody>(plan.Tasks.Single().Body);
        Assert.Equal(new ImageBody { Provider = "sim", Model = "dall-e-3", Prompt = "a {{inputs.thing}}", Size = "1792x1024", Quality = "hd", Count = 3 }, body);
        Assert.Equal("image", plan.Tasks.Single().Kind);
    }

    [Fact]
    public void Image_task_defaults_to_one_image_and_leaves_model_size_and_quality_to_the_executor()
    {
        var body = Assert.IsType<ImageBody>(Load.Yaml("""
            name: p
            tasks: [{ id: hero, kind: image, prompt: a cat }]
            """).Tasks.Single().Body);

        Assert.Equal((1, null, null, null), (body.Count, body.Model, body.Size, body.Quality));
    }

    [Fact]
    public void Size_that_is_not_width_x_height_is_reported_at_its_line()
    {
        var problem = Load.Problem("""
            name: p
            tasks:
              - id: hero
                kind: image
                prompt: a cat
                size: big
            """);

        Assert.Equal("6:11", problem.At());
        Assert.Contains("'size' must be WIDTHxHEIGHT", problem.Message);
    }

    [Fact]
    public void Unknown_quality_suggests_the_closest_one()
    {
        var problem = Load.Problem("""
            name: p
            tasks:
              - { id: hero, kind: image, prompt: a cat, quality: hihg }
            """);

        Assert.Contains("'quality' must be one of: low, medium, high, auto, standard, hd; got 'hihg'", problem.Message);
        Assert.Contains("high", problem.Message[problem.Message.IndexOf("got", StringComparison.Ordinal)..]);
    }

    [Fact]
    public void More_than_ten_images_per_task_is_an_error()
    {
        var problem = Load.Problem("""
            name: p
            tasks:
              - { id: hero, kind: image, prompt: a cat, n: 11 }
            """);

        Assert.Contains("'n' must be at most 10", problem.Message);
        Assert.Equal("3:48", problem.At());
    }

    [Fact]
    public void Image_task_without_a_prompt_says_what_it_needs()
    {
        var problem = Load.Problem("""
            name: p
            tasks:
              - { id: hero, kind: image, size: 1024x1024 }
            """);

        Assert.Contains("an image task needs 'prompt'", problem.Message);
    }

    [Fact]
    public void Image_field_on_a_prompt_task_names_the_kind_that_uses_it()
    {
        var problem = Load.Problem("""
            name: p
            tasks:
              - { id: hero, prompt: a cat, size: 1024x1024 }
            """);

        Assert.Contains("'size' is not a field of prompt tasks (image tasks use it)", problem.Message);
    }

    [Fact]
    public void Prompt_field_on_an_image_task_is_rejected()
    {
        var problem = Load.Problem("""
            name: p
            tasks:
              - { id: hero, kind: image, prompt: a cat, max_tokens: 50 }
            """);

        Assert.Contains("'max_tokens' is not a field of image tasks (prompt tasks use it)", problem.Message);
    }

    [Fact]
    public void Image_task_naming_an_undeclared_provider_is_an_error()
    {
        var problem = Load.Problem("""
            name: p
            providers: { openai: { type: simulated } }
            tasks:
              - { id: hero, kind: image, provider: opnai, prompt: a cat }
            """);

        Assert.Contains("unknown provider 'opnai'", problem.Message);
    }
}
