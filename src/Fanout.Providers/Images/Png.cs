using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Fanout.Providers.Images;

/// <summary>
/// Writes small valid PNGs (8-bit RGB, one IDAT): a two-colour diagonal gradient, enough for a real decoder. Shared by
/// the in-process simulated generator and the HTTP simulator, so both draw the same picture for the same prompt.
/// </summary>
public static class Png
{
    private static readonly uint[] CrcTable = BuildCrcTable();

    /// <summary>Image <paramref name="index"/> of <paramref name="prompt"/>: its colours follow from the prompt's hash.</summary>
    public static byte[] ForPrompt(string prompt, int index, int width, int height)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{prompt}\u0001{index}"));
        return Gradient(width, height, (hash[0], hash[1], hash[2]), (hash[3], hash[4], hash[5]));
    }

    internal static byte[] Gradient(int width, int height, (byte R, byte G, byte B) from, (byte R, byte G, byte B) to)
    {
        var raw = new byte[height * (1 + width * 3)];
        var i = 0;
        for (var y = 0; y < height; y++)
        {
            raw[i++] = 0; // filter: none
            for (var x = 0; x < width; x++)
            {
                var t = (double)(x + y) / Math.Max(1, width + height - 2);
                raw[i++] = (byte)(from.R + (to.R - from.R) * t);
                raw[i++] = (byte)(from.G + (to.G - from.G) * t);
                raw[i++] = (byte)(from.B + (to.B - from.B) * t);
            }
        }

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            zlib.Write(raw);
        }

        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // colour type: RGB
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        png.Write(typeBytes);
        png.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32([.. typeBytes, .. data]));
        png.Write(word);
    }

    internal static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc = CrcTable[(crc ^ b) & 0xFF] ^ (crc >> 8);
        }

        return crc ^ 0xFFFFFFFFu;
    }

    private static uint[] BuildCrcTable()
    {
        var table = new uint[256];
        for (var n = 0u; n < 256; n++)
        {
            var c = n;
            for (var k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
