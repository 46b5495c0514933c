namespace Fanout;

/// <summary>What an image task asks for, its templates rendered.</summary>
/// <param name="Prompt">The image description.</param>
/// <param name="Model">Model id (<c>gpt-image-1</c>, <c>dall-e-3</c>…).</param>
/// <param name="Size"><c>WIDTHxHEIGHT</c> or <c>auto</c>; null leaves it to the provider.</param>
/// <param name="Quality"><c>low</c>, <c>medium</c>, <c>high</c>…; null leaves it to the provider.</param>
/// <param name="Count">How many images.</param>
public sealed record ImageRequest(string Prompt, string Model, string? Size = null, string? Quality = null, int Count = 1);

/// <summary>One generated image.</summary>
/// <param name="Bytes">The encoded image (PNG unless the provider was asked otherwise).</param>
/// <param name="RevisedPrompt">The prompt the model actually used, when it rewrote it.</param>
public sealed record GeneratedImageData(ReadOnlyMemory<byte> Bytes, string? RevisedPrompt = null);

/// <summary>What one call returned.</summary>
/// <param name="Images">The images, in order.</param>
/// <param name="Tokens">Tokens billed (gpt-image-1 bills text input and image output tokens), when reported.</param>
public sealed record ImageGeneration(IReadOnlyList<GeneratedImageData> Images, TokenUsage? Tokens);

/// <summary>Generates images. Implemented by Fanout.Providers (OpenAI Images API, the simulator).</summary>
public interface IImageGenerator
{
    /// <summary>Generates the images of <paramref name="request"/>. Throw <see cref="TaskFailedException"/> (never carrying a key) to fail the attempt.</summary>
    Task<ImageGeneration> GenerateAsync(ImageRequest request, CancellationToken cancellationToken = default);
}

/// <summary>The generator an image task goes to, with what the report needs to know about it.</summary>
/// <param name="Generator">The generator.</param>
/// <param name="Provider">Provider name as in the plan.</param>
/// <param name="Model">Model id sent.</param>
/// <param name="Price">Pricing, when known (image models are priced per token).</param>
/// <param name="Key">Key alias, never the secret.</param>
public sealed record ImageTarget(IImageGenerator Generator, string Provider, string Model, ModelPrice? Price, string? Key = null);

/// <summary>Maps an image task's provider and model names to a generator. Implemented by Fanout.Providers.</summary>
public interface IImageGeneratorResolver
{
    /// <summary>The target for <paramref name="provider"/> (null: the plan default) and <paramref name="model"/>.</summary>
    ImageTarget ResolveImages(string? provider, string model);
}
