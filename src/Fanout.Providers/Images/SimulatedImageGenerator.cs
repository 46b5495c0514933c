using System.Security.Cryptography;
using System.Text;
using Fanout.Providers.Simulation;
using Fanout.Providers.Tokens;

namespace Fanout.Providers.Images;

/// <summary>
/// An in-process stand-in for an image API: waits the model's latency from the provider's simulation settings on the
/// run's clock, then returns small deterministic PNGs (the same prompt always gets the same picture; at most
/// <see cref="MaxSide"/> pixels a side, in the requested proportions) and gpt-image-1's token usage for the requested
/// size and quality, so cost and budgets work as with the real API. It injects no faults.
/// </summary>
public sealed class SimulatedImageGenerator : IImageGenerator
{
    /// <summary>The longest side drawn: the picture is a gradient, so more pixels would only cost time.</summary>
    public const int MaxSide = 256;

    private readonly SimulationSettings _settings;
    private readonly TimeProvider _time;

    /// <summary>A generator with <paramref name="settings"/> (latency per model) waiting on <paramref name="time"/>.</summary>
    public SimulatedImageGenerator(SimulationSettings? settings = null, TimeProvider? time = null)
    {
        _settings = settings ?? new SimulationSettings();
        _time = time ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public async Task<ImageGeneration> GenerateAsync(ImageRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{_settings.Seed}\u0001{request.Model}\u0001{request.Size}\u0001{request.Quality}\u0001{request.Prompt}"));
        var latency = _settings.For(request.Model).Latency!.Sample(new Random(BitConverter.ToInt32(hash, 0) & 0x7FFFFFFF));
        await Task.Delay(latency, _time, cancellationToken);

        var (width, height) = ImageTokens.Size(request.Size);
        var scale = Math.Min(1.0, (double)MaxSide / Math.Max(width, height));
        var (drawWidth, drawHeight) = (Math.Max(1, (int)(width * scale)), Math.Max(1, (int)(height * scale)));
        var images = Enumerable.Range(0, request.Count)
            .Select(i => new GeneratedImageData(Png.ForPrompt(request.Prompt, i, drawWidth, drawHeight)))
            .ToList();
        var input = _settings.UseTokenizer ? ModelTokenizer.Count(request.Model, request.Prompt) : TokenCount.FromCharacters(request.Prompt.Length);
        var tokens = new TokenUsage(input, request.Count * ImageTokens.Output(request.Quality, width, height));
        return new ImageGeneration(images, tokens);
    }
}
