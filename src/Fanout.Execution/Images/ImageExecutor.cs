using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Fanout.Templates;

namespace Fanout.Execution;

/// <summary>
/// Runs <see cref="ImageBody"/> tasks: renders the prompt, asks the generator the resolver picks, and saves each image
/// under the run's output directory as <c>artifacts/&lt;instance&gt;-&lt;n&gt;.png</c> (a fan-out item <c>images[3]</c>
/// becomes <c>images.3</c>). The output lists the files (relative to the run's directory, so report.html can link
/// them) and the revised prompt when the model rewrote it; tokens and cost are accounted like a prompt's.
/// </summary>
public sealed class ImageExecutor(IImageGeneratorResolver resolver) : ITaskExecutor
{
    /// <summary>The folder, under the run's output directory, images are saved in.</summary>
    public const string ArtifactsFolder = "artifacts";

    private readonly IImageGeneratorResolver _resolver = resolver ?? throw new ArgumentNullException(nameof(resolver));

    /// <inheritdoc />
    public string Kind => "image";

    /// <inheritdoc />
    public async ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var body = (ImageBody)context.Task.Body;
        var target = Resolve(body, context.Plan);
        string prompt;
        try
        {
            prompt = context.Render(body.Prompt);
        }
        catch (TemplateException e)
        {
            throw new TaskFailedException($"prompt: {e.Message}", retryable: false, e);
        }

        var generation = await target.Generator.GenerateAsync(new ImageRequest(prompt, target.Model, body.Size, body.Quality, body.Count), cancellationToken);
        var cost = generation.Tokens is { } used ? target.Price?.Cost(used) : null;
        if (generation.Images.Count == 0)
        {
            throw new TaskFailedException($"{target.Provider} returned no image", retryable: true, null, generation.Tokens, cost);
        }

        var files = Save(context, generation.Images);
        var output = new Dictionary<string, object?> { ["files"] = files };
        if (generation.Images.Select(i => i.RevisedPrompt).FirstOrDefault(p => !string.IsNullOrEmpty(p)) is { } revised && revised != prompt)
        {
            output["revised_prompt"] = revised;
        }

        return new TaskResult
        {
            Output = JsonSerializer.SerializeToElement(output),
            Tokens = generation.Tokens,
            CostUsd = cost,
            Provider = target.Provider,
            Model = target.Model,
            Key = target.Key,
            Artifacts = files,
        };
    }

    /// <summary>The file name stem of an instance: ids are letters, digits, <c>_</c> and <c>-</c>; <c>[n]</c> becomes <c>.n</c>.</summary>
    internal static string FileStem(string instanceId)
    {
        var stem = new StringBuilder(instanceId.Length);
        foreach (var c in instanceId)
        {
            stem.Append(c switch
            {
                '[' => ".",
                ']' => "",
                _ when char.IsAsciiLetterOrDigit(c) || c is '_' or '-' => c.ToString(),
                _ => "_",
            });
        }

        return stem.ToString();
    }

    private static ImmutableArray<string> Save(TaskContext context, IReadOnlyList<GeneratedImageData> images)
    {
        var folder = Path.Combine(context.OutputDirectory, ArtifactsFolder);
        var stem = FileStem(context.InstanceId);
        var files = ImmutableArray.CreateBuilder<string>(images.Count);
        try
        {
            Directory.CreateDirectory(folder);
            for (var i = 0; i < images.Count; i++)
            {
                var name = $"{stem}-{i}.png";
                // Synchronous on purpose: images are small, and an awaited write would look idle to a virtual clock.
                File.WriteAllBytes(Path.Combine(folder, name), images[i].Bytes.Span);
                files.Add($"{ArtifactsFolder}/{name}");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TaskFailedException($"cannot save the image under '{folder}': {e.Message}", retryable: false, e);
        }

        return files.MoveToImmutable();
    }

    private ImageTarget Resolve(ImageBody body, PlanDefinition plan)
    {
        try
        {
            return _resolver.ResolveImages(body.Provider ?? plan.Defaults.Provider, body.Model ?? ImageBody.DefaultModel);
        }
        catch (Exception e) when (e is not OperationCanceledException and not TaskFailedException)
        {
            // An unknown provider, or one that cannot draw, will not change by retrying.
            throw new TaskFailedException(e.Message, retryable: false, e);
        }
    }
}
