using System.Buffers.Binary;
using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json;
using Fanout.Providers.Images;
using Fanout.Simulator;

namespace Fanout.Tests.Simulator;

/// <summary>Image generation returns valid PNGs; sim.yaml is read with every mistake reported.</summary>
public class ImagesAndConfigTests
{
    [Fact]
    public async Task Image_generation_returns_a_valid_png_of_the_requested_size_coloured_by_the_prompt()
    {
        await using var server = await SimulatorFixture.Start();
        using var http = new HttpClient { BaseAddress = server.Address };

        var cat = await Generate(http, "a cat");
        var catAgain = await Generate(http, "a cat");
        var dog = await Generate(http, "a dog");

        Assert.Equal(cat, catAgain);
        Assert.NotEqual(cat, dog);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, cat[..8]);
        // Walk the chunks: every CRC checks out and the pixels inflate to 32 rows of 1 + 48 * 3 bytes.
        var offset = 8;
        var chunks = new List<string>();
        var pixels = new MemoryStream();
        while (offset < cat.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(cat.AsSpan(offset));
            var type = Encoding.ASCII.GetString(cat, offset + 4, 4);
            var crc = BinaryPrimitives.ReadUInt32BigEndian(cat.AsSpan(offset + 8 + length));
            Assert.Equal(Png.Crc32(cat.AsSpan(offset + 4, 4 + length)), crc);
            if (type == "IHDR")
            {
                Assert.Equal((48, 32), (BinaryPrimitives.ReadInt32BigEndian(cat.AsSpan(offset + 8)), BinaryPrimitives.ReadInt32BigEndian(cat.AsSpan(offset + 12))));
            }
            else if (type == "IDAT")
            {
                pixels.Write(cat, offset + 8, length);
            }

            chunks.Add(type);
            offset += 12 + length;
        }

        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks);
        pixels.Position = 0;
        using var inflated = new MemoryStream();
        await using (var zlib = new ZLibStream(pixels, CompressionMode.Decompress))
        {
            await zlib.CopyToAsync(inflated);
        }

        Assert.Equal(32 * (1 + 48 * 3), inflated.Length);
    }

    [Fact]
    public void Crc32_matches_the_standard_check_value() =>
        Assert.Equal(0xCBF43926u, Png.Crc32("123456789"u8));

    [Fact]
    public void Config_reads_keys_models_and_faults()
    {
        var options = SimulatorConfig.Read("""
            keys:
              - { alias: a, key: sk-a, rpm: 600, tpm: 60000 }
              - { alias: b, key: sk-b, itpm: 1000, otpm: 500 }
            models:
              "*": { latency: 200ms, per_output_token: 0ms }
            faults:
              rate: 0.2
              kinds: [server_error, reset]
              script: [ok, timeout]
            """, "sim.yaml", out var problems);

        Assert.Empty(problems);
        Assert.Equal([("a", 600, 60000, (int?)null), ("b", null, null, 1000)], options.Keys.Select(k => (k.Alias, k.Rpm, k.Tpm, k.Itpm)));
        Assert.Equal(TimeSpan.FromMilliseconds(200), options.Simulation.For("gpt-4o").Latency!.Median);
        Assert.Equal(0.2, options.Faults.Rate);
        Assert.Equal([HttpFault.ServerError, HttpFault.Reset], options.Faults.Kinds.AsEnumerable());
        Assert.Equal([null, HttpFault.Timeout], options.Faults.Script.AsEnumerable());
    }

    [Fact]
    public void Config_reports_every_mistake()
    {
        SimulatorConfig.Read("""
            keys:
              - { alias: a, key: sk-a, rpm: 0, tmp: 5 }
            faults:
              rate: 2
              kinds: [server_eror]
            """, "sim.yaml", out var problems);

        Assert.Contains(problems, p => p.Contains("'keys[0].rpm' must be a whole number", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("unknown field 'keys[0].tmp'", StringComparison.Ordinal) && p.Contains("tpm", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("'faults.rate' must be between 0 and 1", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("unknown fault 'server_eror'", StringComparison.Ordinal) && p.Contains("server_error", StringComparison.Ordinal));
    }

    private static async Task<byte[]> Generate(HttpClient http, string prompt)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/images/generations")
        {
            Headers = { { "Authorization", "Bearer " + SimulatorFixture.Key } },
            Content = new StringContent(JsonSerializer.Serialize(new { prompt, size = "48x32", response_format = "b64_json" }), Encoding.UTF8, "application/json"),
        };
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return Convert.FromBase64String(body.RootElement.GetProperty("data")[0].GetProperty("b64_json").GetString()!);
    }
}
