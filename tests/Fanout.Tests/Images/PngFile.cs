using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Fanout.Tests.Images;

/// <summary>Reads a PNG as a decoder would: signature, chunk CRCs, IHDR, and IDAT inflating to exactly the rows IHDR promises.</summary>
internal static class PngFile
{
    private static readonly byte[] Signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>The width and height of a valid 8-bit RGB PNG; fails the test for anything else.</summary>
    public static (int Width, int Height) Read(byte[] png)
    {
        Assert.True(png.AsSpan().StartsWith(Signature), "not a PNG: the signature is missing");
        var (width, height) = (0, 0);
        var pixels = new MemoryStream();
        var chunks = new List<string>();
        for (var offset = Signature.Length; offset < png.Length;)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            var type = Encoding.ASCII.GetString(png, offset + 4, 4);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(offset + 8 + length));
            Assert.Equal(Crc32(png.AsSpan(offset + 4, 4 + length)), crc);
            if (type == "IHDR")
            {
                (width, height) = (BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset + 8)), BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset + 12)));
                Assert.Equal(8, png[offset + 16]); // bit depth
                Assert.Equal(2, png[offset + 17]); // RGB
            }
            else if (type == "IDAT")
            {
                pixels.Write(png, offset + 8, length);
            }

            chunks.Add(type);
            offset += 12 + length;
        }

        Assert.Equal("IHDR", chunks[0]);
        Assert.Equal("IEND", chunks[^1]);
        pixels.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(pixels, CompressionMode.Decompress))
        {
            zlib.CopyTo(inflated);
        }

        Assert.Equal(height * (1L + width * 3L), inflated.Length);
        return (width, height);
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return crc ^ 0xFFFFFFFFu;
    }
}
