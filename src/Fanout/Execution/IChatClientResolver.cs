using Microsoft.Extensions.AI;

namespace Fanout;

/// <summary>Prices of one model in US dollars per million tokens.</summary>
/// <param name="InputPerMillion">Uncached prompt tokens.</param>
/// <param name="OutputPerMillion">Completion tokens.</param>
/// <param name="CachedInputPerMillion">Prompt tokens served from cache.</param>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion, decimal CachedInputPerMillion = 0)
{
    /// <summary>What a request through the provider's Batch API costs as a share of the same request online
    /// (OpenAI and Anthropic: 0.5).</summary>
    public decimal BatchMultiplier { get; init; } = 1m;

    /// <summary>The cost of <paramref name="usage"/>; <paramref name="batch"/>: sent through the Batch API.</summary>
    public decimal Cost(TokenUsage usage, bool batch = false) =>
        ((usage.Input - usage.CachedInput) * InputPerMillion + usage.CachedInput * CachedInputPerMillion + usage.Output * OutputPerMillion) / 1_000_000m
        * (batch ? BatchMultiplier : 1m);
}

/// <summary>The client a prompt goes to, with what the report needs to know about it.</summary>
/// <param name="Client">The chat client (already wrapped in whatever decorators the provider layer adds).</param>
/// <param name="Provider">Provider name as in the plan.</param>
/// <param name="Model">Model id sent.</param>
/// <param name="Price">Pricing, when known.</param>
/// <param name="Key">Key alias, never the secret.</param>
public sealed record ChatTarget(IChatClient Client, string Provider, string Model, ModelPrice? Price, string? Key = null)
{
    /// <summary>The client that sends requests through the provider's Batch API (answering when the batch has), or
    /// null when the provider has none: <c>mode: batch</c> prompts then go online.</summary>
    public IChatClient? BatchClient { get; init; }
}

/// <summary>Maps a prompt task's provider and model names to a chat client. Implemented by Fanout.Providers.</summary>
public interface IChatClientResolver
{
    /// <summary>The target for <paramref name="provider"/> (null: the plan default) and <paramref name="model"/> (null: the provider's default).</summary>
    ChatTarget Resolve(string? provider, string? model);
}
