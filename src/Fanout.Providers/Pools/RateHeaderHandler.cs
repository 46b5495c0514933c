namespace Fanout.Providers.Pools;

/// <summary>
/// Reports every response's status and headers (<c>x-ratelimit-*</c>, <c>anthropic-ratelimit-*</c>, <c>retry-after</c>)
/// to the key's sink, errors included: in the Anthropic SDK's handler chain, under the OpenAI SDK's HTTP transport.
/// </summary>
internal sealed class RateHeaderHandler(RateHeaderSink sink) : DelegatingHandler
{
    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var sent = sink.Now();
        var response = await base.SendAsync(request, cancellationToken);
        sink.Report((int)response.StatusCode, name =>
            response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? values.FirstOrDefault() : null, sent);
        return response;
    }
}
