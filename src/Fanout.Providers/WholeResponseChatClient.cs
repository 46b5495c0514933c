using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Fanout.Providers;

/// <summary>
/// Base of chat clients that produce a whole response per call (the simulator, key pools, fallback chains): tasks
/// need the whole answer, so streaming is offered as the finished response's updates, and there are no services to
/// expose or resources to free beyond what a subclass says. Microsoft.Extensions.AI does the same for middleware
/// given only a response delegate (<c>ChatClientBuilder.Use(getResponseFunc, null)</c>, as the provider-error
/// middleware is), but has no such base for a client of its own.
/// </summary>
public abstract class WholeResponseChatClient : IChatClient
{
    /// <inheritdoc />
    public abstract Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default);

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    /// <inheritdoc />
    public virtual object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType?.IsInstanceOfType(this) == true ? this : null;

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees resources of a subclass.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
