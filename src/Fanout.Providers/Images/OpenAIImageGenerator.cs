using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using Fanout.Providers.OpenAI;
using Fanout.Providers.Pools;
using OpenAI;
using OpenAI.Images;

namespace Fanout.Providers.Images;

/// <summary>
/// <see cref="IImageGenerator"/> over the official OpenAI SDK's Images API (<c>POST /v1/images/generations</c>), for
/// api.openai.com and compatible servers such as <c>fanout simulate</c>. As with chat, the SDK's own retries are off
/// (the scheduler retries) and errors become <see cref="TaskFailedException"/>s that never carry the key.
/// </summary>
internal sealed class OpenAIImageGenerator : IImageGenerator
{
    private readonly ApiKeyCredential _credential;
    private readonly KeyIdentity _key;
    private readonly OpenAIClientOptions _options;
    private readonly ConcurrentDictionary<string, ImageClient> _clients = new(StringComparer.Ordinal);

    /// <summary>A generator for <paramref name="endpoint"/> (null: api.openai.com) authenticated with <paramref name="key"/>.</summary>
    public OpenAIImageGenerator(KeyIdentity key, Uri? endpoint = null)
    {
        _key = key;
        _credential = new ApiKeyCredential(key.Secret);
        _options = new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 0) };
        if (endpoint is not null)
        {
            _options.Endpoint = endpoint;
        }
    }

    /// <inheritdoc />
    public async Task<ImageGeneration> GenerateAsync(ImageRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var client = _clients.GetOrAdd(request.Model, m => new ImageClient(m, _credential, _options));
        var result = await OpenAIErrors.Guard(() => client.GenerateImagesAsync(request.Prompt, request.Count, Options(request), cancellationToken), _key, cancellationToken);
        var images = result.Value;
        var data = new List<GeneratedImageData>(images.Count);
        foreach (var image in images)
        {
            if (image.ImageBytes is not { } bytes)
            {
                throw new TaskFailedException($"OpenAI returned an image URL instead of its bytes (model {request.Model})", retryable: false);
            }

            data.Add(new GeneratedImageData(bytes.ToMemory(), image.RevisedPrompt));
        }

        // Usage is marked experimental in the SDK, but it is what gpt-image-1 is billed by.
#pragma warning disable OPENAI001
        var tokens = images.Usage is { } usage ? new TokenUsage(usage.InputTokenCount, usage.OutputTokenCount) : (TokenUsage?)null;
#pragma warning restore OPENAI001
        return new ImageGeneration(data, tokens);
    }

    private static ImageGenerationOptions Options(ImageRequest request)
    {
        var options = new ImageGenerationOptions();
        if (request.Size is { } size && size != "auto")
        {
            var (width, height) = ImageTokens.Size(size);
            options.Size = new GeneratedImageSize(width, height);
        }

        if (request.Quality is { } quality)
        {
            options.Quality = new GeneratedImageQuality(quality);
        }

        // gpt-image-1 always answers with base64 and rejects response_format; DALL·E answers with a URL unless asked.
        if (request.Model.StartsWith("dall-e", StringComparison.OrdinalIgnoreCase))
        {
            options.ResponseFormat = GeneratedImageFormat.Bytes;
        }

        return options;
    }
}
