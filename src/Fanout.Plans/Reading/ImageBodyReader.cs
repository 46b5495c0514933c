using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Fanout.Plans.Yaml;

namespace Fanout.Plans.Reading;

internal static partial class BodyReader
{
    /// <summary>Qualities the OpenAI Images API accepts: gpt-image-1's, then dall-e-3's.</summary>
    private static readonly string[] ImageQualities = ["low", "medium", "high", "auto", "standard", "hd"];

    /// <summary>The API takes up to 10 images per request.</summary>
    private const int MaxImages = 10;

    /// <summary><c>kind: image</c>: a prompt template (or <c>prompt_file</c>), model, size, quality and <c>n</c>.</summary>
    private static ImageBody? Image(MappingNode map, string prefix, ImmutableDictionary<string, SourceLocation>.Builder locations, ReadContext ctx)
    {
        var prompt = TextOrFile(map, "prompt", prefix, locations, ctx);
        if (prompt is null)
        {
            if (map["prompt"] is null && map["prompt_file"] is null)
            {
                ctx.Error($"{prefix}an image task needs 'prompt' (a template describing the image) or 'prompt_file'", (Node?)map["id"] ?? map);
            }

            return null;
        }

        var body = new ImageBody { Prompt = prompt };
        if (map["provider"] is { } provider)
        {
            body = body with { Provider = ctx.String(provider, "provider", prefix) };
        }

        if (map["model"] is { } model)
        {
            body = body with { Model = ctx.String(model, "model", prefix) };
        }

        if (map["size"] is { } sizeNode && ctx.String(sizeNode, "size", prefix) is { } size)
        {
            if (!ImageSize().IsMatch(size))
            {
                ctx.Error($"{prefix}'size' must be WIDTHxHEIGHT (such as 1024x1024, 1536x1024, 1024x1536) or auto, got '{size}'", sizeNode);
            }

            body = body with { Size = size };
        }

        if (map["quality"] is { } qualityNode && ctx.String(qualityNode, "quality", prefix) is { } quality)
        {
            if (!ImageQualities.Contains(quality, StringComparer.Ordinal))
            {
                ctx.Error($"{prefix}'quality' must be one of: {string.Join(", ", ImageQualities)}; got '{quality}'{Names.DidYouMean(quality, ImageQualities)}", qualityNode);
            }

            body = body with { Quality = quality };
        }

        if (map["n"] is { } countNode && ctx.Int(countNode, "n", 1, prefix) is { } count)
        {
            if (count > MaxImages)
            {
                ctx.Error($"{prefix}'n' must be at most {MaxImages} (images per request), got {count}", countNode);
            }

            body = body with { Count = count };
        }

        return body;
    }

    [GeneratedRegex("^([1-9][0-9]{1,4}x[1-9][0-9]{1,4}|auto)$")]
    private static partial Regex ImageSize();
}
