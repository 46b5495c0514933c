using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Providers.Tokens;
using Microsoft.AspNetCore.Http;

namespace Fanout.Simulator;

/// <summary>
/// <c>POST /v1/embeddings</c>: one unit-length vector per input, drawn from a hash of the model and the input, so the
/// same text always gets the same vector and different texts get (nearly) orthogonal ones. Metered against the key's
/// token limit like a prompt.
/// </summary>
internal static class EmbeddingsEndpoint
{
    private const int MaxInputs = 2048;
    private const int MaxDimensions = 3072;

    public static async Task Handle(HttpContext context, SimulatorState state)
    {
        var limiter = state.Authenticate(context.Request);
        if (limiter is null)
        {
            await Wire.Error(context, Api.OpenAI, 401, "Incorrect API key provided.");
            return;
        }

        string model;
        List<string> inputs;
        int dimensions;
        bool base64;
        try
        {
            using var document = await Wire.Body(context);
            var root = document.RootElement;
            model = Wire.String(root, "model") ?? throw RequestException.Invalid("you must provide a model parameter", "model");
            if (!Wire.Serves(state.Options.Simulation, model))
            {
                throw new RequestException(404, $"The model `{model}` does not exist or you do not have access to it.", "model");
            }

            inputs = Inputs(Wire.Get(root, "input") ?? throw RequestException.Invalid("Missing required parameter: 'input'.", "input"));
            dimensions = (int)(Wire.Whole(root, "dimensions", 1, MaxDimensions) ?? (model.Contains("large", StringComparison.Ordinal) ? 3072 : 1536));
            base64 = Wire.String(root, "encoding_format") switch
            {
                null or "float" => false,
                "base64" => true,
                var other => throw RequestException.Invalid($"Invalid value: '{other}'. Supported values are: 'float' and 'base64'.", "encoding_format"),
            };
        }
        catch (Exception e) when (Wire.Refusal(e) is { } refusal)
        {
            await Wire.Refuse(context, refusal);
            return;
        }

        var tokens = inputs.Sum(i => TokenCount.FromCharacters(i.Length));
        var admission = limiter.TryAdmit(tokens, 0);
        OpenAIEndpoint.Headers(context, limiter);
        if (!admission.Admitted)
        {
            HttpWrite.RetryAfter(context, admission.RetryAfter);
            await Wire.Error(context, Api.OpenAI, 429, $"Rate limit reached for key '{limiter.Key.Alias}' (simulated).", code: "rate_limit_exceeded");
            return;
        }

        var data = new JsonArray();
        for (var i = 0; i < inputs.Count; i++)
        {
            var vector = Vector(model, inputs[i], dimensions);
            data.Add(new JsonObject
            {
                ["object"] = "embedding",
                ["index"] = i,
                ["embedding"] = base64 ? Convert.ToBase64String(Bytes(vector)) : new JsonArray([.. vector.Select(v => (JsonNode)JsonValue.Create(v))]),
            });
        }

        await HttpWrite.Json(context, 200, new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = model,
            ["usage"] = new JsonObject { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        });
    }

    /// <summary>A string, an array of strings, or token arrays (one array, or an array of them; tokens stand for themselves).</summary>
    private static List<string> Inputs(JsonElement input)
    {
        var list = input.ValueKind switch
        {
            JsonValueKind.String => [input.GetString()!],
            JsonValueKind.Array when input.EnumerateArray().All(e => e.ValueKind == JsonValueKind.Number) => [input.GetRawText()],
            JsonValueKind.Array => input.EnumerateArray().Select(e => e.ValueKind switch
            {
                JsonValueKind.String => e.GetString()!,
                JsonValueKind.Array => e.GetRawText(),
                _ => throw RequestException.Invalid("'input' must be a string, an array of strings or an array of token arrays", "input"),
            }).ToList(),
            _ => throw RequestException.Invalid("'input' must be a string, an array of strings or an array of token arrays", "input"),
        };
        if (list.Count == 0 || list.Count > MaxInputs || list.Any(s => s.Length == 0))
        {
            throw RequestException.Invalid($"'$.input' is invalid: give 1 to {MaxInputs} non-empty inputs", "input");
        }

        return list;
    }

    /// <summary>Gaussian components (Box–Muller) from a seed hashed from model and text, scaled to unit length.</summary>
    private static float[] Vector(string model, string text, int dimensions)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(model + "\u0001" + text));
        var random = new Random(BinaryPrimitives.ReadInt32LittleEndian(hash));
        var values = new double[dimensions];
        for (var i = 0; i < dimensions; i++)
        {
            values[i] = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        }

        var norm = Math.Sqrt(values.Sum(v => v * v));
        return [.. values.Select(v => (float)(v / norm))];
    }

    private static byte[] Bytes(float[] vector)
    {
        var bytes = new byte[vector.Length * 4];
        for (var i = 0; i < vector.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), vector[i]);
        }

        return bytes;
    }
}
