using System.Security.Cryptography;
using System.Text;

namespace Fanout.Storage;

/// <summary>The one hash used for content addressing (output blobs, definition hashes, cache keys): SHA-256, lower-case hex.</summary>
public static class ContentHash
{
    /// <summary>The hash of <paramref name="text"/>'s UTF-8 bytes.</summary>
    public static string Of(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The hash of <paramref name="bytes"/>.</summary>
    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>The hash of <paramref name="parts"/> joined unambiguously (each length-prefixed).</summary>
    public static string OfParts(IEnumerable<string?> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var text = new StringBuilder();
        foreach (var part in parts)
        {
            // Length prefixes keep ("ab","c") and ("a","bc") apart; -1 marks null.
            text.Append(part?.Length ?? -1).Append(':').Append(part).Append('\n');
        }

        return Of(text.ToString());
    }
}
