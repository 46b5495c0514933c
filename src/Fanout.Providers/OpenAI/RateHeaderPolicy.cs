using System.ClientModel.Primitives;
using Fanout.Providers.Pools;

namespace Fanout.Providers.OpenAI;

/// <summary>Reports every OpenAI response's status and headers (<c>x-ratelimit-*</c>, <c>retry-after</c>) to the key's sink, errors included.</summary>
internal sealed class RateHeaderPolicy(RateHeaderSink sink) : PipelinePolicy
{
    /// <inheritdoc />
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        ProcessNext(message, pipeline, currentIndex);
        Report(message);
    }

    /// <inheritdoc />
    public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        await ProcessNextAsync(message, pipeline, currentIndex);
        Report(message);
    }

    private void Report(PipelineMessage message)
    {
        if (message.Response is { } response)
        {
            sink.Report(response.Status, name => response.Headers.TryGetValue(name, out var value) ? value : null);
        }
    }
}
