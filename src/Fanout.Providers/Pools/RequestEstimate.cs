using Fanout.Providers.Tokens;
using Microsoft.Extensions.AI;

namespace Fanout.Providers.Pools;

/// <summary>
/// What a request will be charged against a key's limits: the prompt as <see cref="TokenCount.Prompt"/> meters it
/// (characters / 4 over messages, schema and tool definitions, plus images), plus <c>max_tokens</c> of output. Deliberately not the model's tokenizer (<see cref="ModelTokenizer"/>, which
/// <c>fanout estimate</c> uses): providers' rate limiters meter a request this way before tokenising it, so this is
/// what a key's TPM is actually charged, and it costs nothing on the hot path.
/// </summary>
internal readonly record struct RequestEstimate(long Input, long Output)
{
    public long Total => Input + Output;

    public static RequestEstimate For(IEnumerable<ChatMessage> messages, ChatOptions? options, int defaultOutput) => new(
        TokenCount.Prompt(messages, options),
        options?.MaxOutputTokens ?? defaultOutput);
}
