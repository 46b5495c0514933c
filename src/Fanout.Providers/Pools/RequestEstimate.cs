using Microsoft.Extensions.AI;

namespace Fanout.Providers.Pools;

/// <summary>
/// What a request will be charged, estimated the way providers meter before tokenising: prompt characters / 4
/// (schema included), rounded up, plus <c>max_tokens</c> of output.
/// </summary>
internal readonly record struct RequestEstimate(long Input, long Output)
{
    public long Total => Input + Output;

    public static RequestEstimate For(IEnumerable<ChatMessage> messages, ChatOptions? options, int defaultOutput)
    {
        var characters = messages.Sum(m => (long)m.Text.Length);
        if (options?.ResponseFormat is ChatResponseFormatJson { Schema: { } schema })
        {
            characters += schema.GetRawText().Length;
        }

        return new RequestEstimate((characters + 3) / 4, options?.MaxOutputTokens ?? defaultOutput);
    }
}
