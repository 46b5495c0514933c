namespace Fanout.Providers.Images;

/// <summary>
/// gpt-image-1 bills an image as output tokens by quality and size (OpenAI's image-generation guide): 272/1056/4160
/// tokens for a low/medium/high 1024x1024 image, about 1.5 times that for 1024x1536 and 1536x1024. The simulator
/// charges these so that cost and budgets behave as with the real API.
/// </summary>
internal static class ImageTokens
{
    private const double SquareArea = 1024 * 1024;

    /// <summary>Output tokens of one image of <paramref name="width"/>x<paramref name="height"/> at <paramref name="quality"/> (null or auto: medium).</summary>
    public static long Output(string? quality, int width, int height)
    {
        (long Square, long Portrait, long Landscape) table = quality switch
        {
            "low" => (272, 408, 400),
            "high" or "hd" => (4160, 6240, 6208),
            _ => (1056, 1584, 1568),
        };
        return (width, height) switch
        {
            (1024, 1024) => table.Square,
            (1024, 1536) => table.Portrait,
            (1536, 1024) => table.Landscape,
            _ => (long)Math.Ceiling(table.Square * (width * (double)height / SquareArea)),
        };
    }

    /// <summary>The requested size; null or <c>auto</c> is 1024x1024, as gpt-image-1 picks for most prompts.</summary>
    public static (int Width, int Height) Size(string? size)
    {
        var parts = size?.Split('x');
        return parts is [var w, var h] && int.TryParse(w, out var width) && int.TryParse(h, out var height) && width > 0 && height > 0
            ? (width, height)
            : (1024, 1024);
    }
}
