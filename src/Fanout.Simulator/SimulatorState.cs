using System.Collections.Frozen;
using System.Text.Json;
using Fanout.Providers.Simulation;
using Fanout.Providers.Tokens;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.AI;

namespace Fanout.Simulator;

/// <summary>What every endpoint shares: the key limiters, the answer generator and the fault draws.</summary>
internal sealed class SimulatorState
{
    private readonly FrozenDictionary<string, KeyLimiter> _limiters;
    private readonly Lock _faultGate = new();
    private readonly Random _faultRandom;
    private int _admitted;

    public SimulatorState(SimulatorOptions options)
    {
        Options = options;
        Time = options.Time;
        _limiters = options.Keys.ToFrozenDictionary(k => k.Key, k => new KeyLimiter(k, options.Time), StringComparer.Ordinal);
        // Failures are the server's business (HTTP faults below); the generator only answers.
        Generator = new SimulatedChatClient(options.Simulation with { FailureRate = 0 }, options.Time);
        _faultRandom = new Random(options.Faults.Seed);
        Batches = new BatchEndpoints(this);
    }

    /// <summary>Both Batch APIs' files and batches.</summary>
    public BatchEndpoints Batches { get; }

    public SimulatorOptions Options { get; }

    public TimeProvider Time { get; }

    public SimulatedChatClient Generator { get; }

    /// <summary>The limiter of the key the request carries (<c>Authorization: Bearer</c> or <c>x-api-key</c>), or null.</summary>
    public KeyLimiter? Authenticate(HttpRequest request)
    {
        string? key = null;
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = authorization["Bearer ".Length..].Trim();
        }
        else if (request.Headers.TryGetValue("x-api-key", out var apiKey))
        {
            key = apiKey.ToString().Trim();
        }

        return key is not null && _limiters.TryGetValue(key, out var limiter) ? limiter : null;
    }

    /// <summary>The fault of the next admitted request: the script first, then the rate.</summary>
    public HttpFault? NextFault()
    {
        var faults = Options.Faults;
        lock (_faultGate)
        {
            var index = _admitted++;
            if (index < faults.Script.Length)
            {
                return faults.Script[index];
            }

            return faults.Rate > 0 && faults.Kinds.Length > 0 && _faultRandom.NextDouble() < faults.Rate
                ? faults.Kinds[_faultRandom.Next(faults.Kinds.Length)]
                : null;
        }
    }

    /// <summary>Token estimate of a prompt for admission, as providers meter it before tokenising (<see cref="TokenCount.Prompt"/>: tools, system and images included).</summary>
    public static long EstimateTokens(IEnumerable<ChatMessage> messages, ChatOptions? options) => TokenCount.Prompt(messages, options);

    /// <summary>An image part: a <c>data:</c> URL's bytes, or a link the simulator does not fetch.</summary>
    public static AIContent Image(string url)
    {
        if (url.StartsWith("data:", StringComparison.Ordinal))
        {
            try
            {
                return new DataContent(url);
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw RequestException.Invalid("Invalid image data URL: expected data:image/...;base64,...");
            }
        }

        return Uri.TryCreate(url, UriKind.Absolute, out var uri)
            ? new UriContent(uri, "image/*")
            : throw RequestException.Invalid($"Invalid image URL: '{url}'");
    }

    /// <summary>Text of a message's <c>content</c>: a string or an array of <c>{type: text, text}</c> parts.</summary>
    public static string ContentText(JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString() ?? "",
        JsonValueKind.Array => string.Concat(content.EnumerateArray()
            .Where(p => p.ValueKind == JsonValueKind.Object && p.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
            .Select(p => p.GetProperty("text").GetString())),
        _ => "",
    };

    /// <summary>Pieces of an answer for streaming: about 24 characters each, never splitting a UTF-16 pair.</summary>
    public static IEnumerable<string> Pieces(string text)
    {
        const int size = 24;
        for (var i = 0; i < text.Length;)
        {
            var n = Math.Min(size, text.Length - i);
            if (i + n < text.Length && char.IsHighSurrogate(text[i + n - 1]))
            {
                n++;
            }

            yield return text.Substring(i, n);
            i += n;
        }
    }
}
