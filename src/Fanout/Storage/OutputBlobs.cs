namespace Fanout.Storage;

/// <summary>
/// Large results are stored once by content hash (a blobs table) and referenced from the instance row, so a big
/// output repeated across runs (or across a resume) takes its space once. Small ones stay inline: one row, one read.
/// </summary>
public static class OutputBlobs
{
    /// <summary>Results longer than this many characters go to the blob table.</summary>
    public const int InlineLimit = 4096;

    /// <summary>Splits a result for storage: either <c>Inline</c> is set, or <c>Hash</c> (and the blob to store under it).</summary>
    public static (string? Inline, string? Hash) Split(string? resultJson) =>
        resultJson is null ? (null, null)
        : resultJson.Length <= InlineLimit ? (resultJson, null)
        : (null, ContentHash.Of(resultJson));
}
