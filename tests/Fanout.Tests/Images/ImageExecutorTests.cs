using System.Text.Json;
using Fanout.Providers;
using Fanout.Tests.Plans;
using Fanout.Tests.Support;
using Fanout.Time;

namespace Fanout.Tests.Images;

/// <summary>The image kind on the in-process simulated provider, in virtual time: files, names, tokens, cost, latency.</summary>
public sealed class ImageExecutorTests : IDisposable
{
    private const string Plan = """
        name: pictures
        providers:
          art:
            type: simulated
            seed: 3
            models:
              gpt-image-1: { latency: 3s }
        tasks:
          - id: ideas
            merge: ["a red barn", "a blue lake", "a green field"]
          - id: pictures
            kind: image
            needs: [ideas]
            foreach: tasks.ideas.output
            as: idea
            prompt: "{{idea}}, watercolour"
            size: 1536x1024
            quality: low
          - id: cover
            kind: image
            prompt: a book cover
            n: 2
        """;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "fanout-images-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private RunReport Run(string yaml = Plan, IImageGeneratorResolver? resolver = null)
    {
        var plan = Load.Yaml(yaml);
        var clock = new VirtualClock();
        using var providers = ProviderSetup.Create(plan, new ProviderOptions { Time = clock });
        return Sim.Run(plan, clock: clock, configure: o => o with
        {
            Executors = o.Executors.With(new ImageExecutor(resolver ?? providers)),
            OutputDirectory = _directory,
        }).Report;
    }

    [Fact]
    public void Each_image_is_saved_as_a_valid_png_under_the_run_artifacts_folder()
    {
        var report = Run();

        Assert.Equal(RunStatus.Succeeded, report.Status);
        var files = Directory.GetFiles(Path.Combine(_directory, "artifacts")).Select(f => Path.GetFileName(f)).Order().ToArray();
        Assert.Equal(["cover-0.png", "cover-1.png", "pictures.0-0.png", "pictures.1-0.png", "pictures.2-0.png"], files);
        Assert.All(files, f => PngFile.Read(File.ReadAllBytes(Path.Combine(_directory, "artifacts", f))));
    }

    [Fact]
    public void Simulated_images_keep_the_requested_proportions_at_a_small_size()
    {
        Run();

        Assert.Equal((256, 170), PngFile.Read(File.ReadAllBytes(Path.Combine(_directory, "artifacts", "pictures.0-0.png"))));
        Assert.Equal((256, 256), PngFile.Read(File.ReadAllBytes(Path.Combine(_directory, "artifacts", "cover-0.png"))));
    }

    [Fact]
    public void Output_and_report_list_the_artifact_paths_relative_to_the_run_directory()
    {
        var report = Run();

        var cover = report.Row("cover");
        Assert.Equal(["artifacts/cover-0.png", "artifacts/cover-1.png"], cover.Artifacts!.Value.ToArray());
        Assert.Equal("""{"files":["artifacts/cover-0.png","artifacts/cover-1.png"]}""", cover.Output!.Value.GetRawText());
        Assert.Equal(["artifacts/pictures.1-0.png"], report.Row("pictures[1]").Artifacts!.Value.ToArray());
        Assert.Null(report.Row("ideas").Artifacts);
    }

    [Fact]
    public void Same_prompt_draws_the_same_picture_and_different_prompts_differ()
    {
        Run();
        var first = File.ReadAllBytes(Path.Combine(_directory, "artifacts", "pictures.0-0.png"));
        var second = File.ReadAllBytes(Path.Combine(_directory, "artifacts", "pictures.1-0.png"));
        Directory.Delete(_directory, recursive: true);

        Run();

        Assert.Equal(first, File.ReadAllBytes(Path.Combine(_directory, "artifacts", "pictures.0-0.png")));
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Image_tokens_follow_size_and_quality_and_are_priced_as_gpt_image_1()
    {
        var report = Run();

        // A low-quality 1536x1024 image is 400 output tokens; gpt-image-1 costs $40 per million of them.
        var picture = report.Row("pictures[0]");
        Assert.Equal(400, picture.Tokens!.Output);
        Assert.Equal("gpt-image-1", picture.Model);
        Assert.Equal("art", picture.Provider);
        Assert.Equal((picture.Tokens.Input * 5m + 400 * 40m) / 1_000_000m, picture.CostUsd);
        // Two medium (the default) 1024x1024 images: 1056 tokens each.
        Assert.Equal(2 * 1056, report.Row("cover").Tokens!.Output);
    }

    [Fact]
    public void Simulated_latency_of_the_image_model_is_waited_on_the_run_clock()
    {
        var report = Run();

        Assert.Equal(3000, report.Row("cover").DurationMs);
        Assert.Equal(3000, report.Row("pictures[2]").DurationMs);
    }

    [Fact]
    public void Revised_prompt_is_in_the_output_when_the_model_rewrote_it()
    {
        var generator = new FakeGenerator(r => new ImageGeneration([new GeneratedImageData(new byte[] { 1, 2, 3 }, r.Prompt + ", in more detail")], null));

        var report = Run("""
            name: revised
            tasks:
              - { id: one, kind: image, prompt: a cat }
            """, new FakeResolver(generator));

        var output = report.Row("one").Output!.Value;
        Assert.Equal("a cat, in more detail", output.GetProperty("revised_prompt").GetString());
        Assert.Equal("gpt-image-1", generator.Requests.Single().Model);
    }

    [Fact]
    public void Provider_that_cannot_draw_fails_the_task_without_retrying()
    {
        var plan = Load.Yaml("""
            name: no-images
            providers:
              claude: { type: anthropic, api_key: "${ANTHROPIC_KEY}", model: claude-haiku-4-5 }
            defaults: { retry: { max_attempts: 3 } }
            tasks:
              - { id: one, kind: image, prompt: a cat }
            """);
        using var providers = ProviderSetup.Create(plan, new ProviderOptions { GetEnvironmentVariable = _ => "not-used" });

        var report = Sim.Run(plan, configure: o => o with { Executors = o.Executors.With(new ImageExecutor(providers)), OutputDirectory = _directory }).Report;

        var row = report.Row("one");
        Assert.Equal(TaskState.Failed, row.Status);
        Assert.Equal(1, row.Attempts);
        Assert.Contains("provider 'claude' (anthropic) cannot generate images", row.Error);
    }

    [Theory]
    [InlineData("images[3]", "images.3")]
    [InlineData("hero_image", "hero_image")]
    [InlineData("a/../b", "a____b")]
    public void File_names_come_from_the_instance_id_with_anything_unsafe_replaced(string instance, string stem)
    {
        Assert.Equal(stem, ImageExecutor.FileStem(instance));
    }

    private sealed class FakeGenerator(Func<ImageRequest, ImageGeneration> answer) : IImageGenerator
    {
        public List<ImageRequest> Requests { get; } = [];

        public Task<ImageGeneration> GenerateAsync(ImageRequest request, CancellationToken cancellationToken = default)
        {
            Requests.Add(request);
            return Task.FromResult(answer(request));
        }
    }

    private sealed class FakeResolver(IImageGenerator generator) : IImageGeneratorResolver
    {
        public ImageTarget ResolveImages(string? provider, string model) => new(generator, provider ?? "fake", model, null);
    }
}
