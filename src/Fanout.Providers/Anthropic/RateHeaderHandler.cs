using Fanout.Providers.Pools;

namespace Fanout.Providers.Anthropic;

/// <summary>
/// Reports every Anthropic response's status and headers (<c>anthropic-ratelimit-*</c>, <c>retry-after</c>) to the
/// key's sink, errors included. Joins the SDK's own handler chain (<c>ClientOptions.Handlers</c>).
/// </summary>
internal sealed class RateHeaderHandler(RateHeaderSink sink) : DelegatingHandler
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        sink.Report((int)response.StatusCode, name =>
            response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? values.FirstOrDefault() : null);
        return response;
    }
}
