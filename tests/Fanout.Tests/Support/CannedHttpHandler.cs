using System.Net;
using System.Text;

namespace Fanout.Tests.Support;

/// <summary>Answers every request with one canned JSON response, or fails it with one exception, and remembers the last request.</summary>
internal sealed class CannedHttpHandler(HttpStatusCode status, string body, params (string Name, string Value)[] headers) : HttpMessageHandler
{
    private readonly Exception? _failure;

    /// <summary>A handler whose every request fails with <paramref name="failure"/>, as a broken connection does.</summary>
    public CannedHttpHandler(Exception failure)
        : this(HttpStatusCode.OK, "")
    {
        _failure = failure;
    }

    public string? Body { get; private set; }

    public Uri? Uri { get; private set; }

    /// <summary>The last request's headers by name (case-insensitive), values joined with commas.</summary>
    public IReadOnlyDictionary<string, string> Headers { get; private set; } = new Dictionary<string, string>();

    public int Calls { get; private set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Calls++;
        if (_failure is not null)
        {
            throw _failure;
        }

        Uri = request.RequestUri;
        Headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        Body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var response = new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        foreach (var (name, value) in headers)
        {
            response.Headers.TryAddWithoutValidation(name, value);
        }

        return response;
    }
}
