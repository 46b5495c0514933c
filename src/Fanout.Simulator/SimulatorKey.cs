namespace Fanout.Simulator;

/// <summary>One API key the simulator accepts, with its per-minute limits (null: unlimited).</summary>
/// <param name="Alias">The name printed and used in messages; the key value itself is never printed.</param>
/// <param name="Key">The key value clients send (<c>Authorization: Bearer</c> or <c>x-api-key</c>).</param>
public sealed record SimulatorKey(string Alias, string Key)
{
    /// <summary>Requests per minute.</summary>
    public int? Rpm { get; init; }

    /// <summary>Input plus output tokens per minute (OpenAI style).</summary>
    public int? Tpm { get; init; }

    /// <summary>Input tokens per minute (Anthropic style).</summary>
    public int? Itpm { get; init; }

    /// <summary>Output tokens per minute (Anthropic style).</summary>
    public int? Otpm { get; init; }
}
