using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Fanout.Providers;

/// <summary>A provider Fanout cannot call yet: every call fails, not retryably, with <see cref="Reason"/>.</summary>
internal sealed class UnavailableChatClient(string reason) : IChatClient
{
    public string Reason { get; } = reason;

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new TaskFailedException(Reason, retryable: false);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask;
        throw new TaskFailedException(Reason, retryable: false);
#pragma warning disable CS0162 // an iterator needs a yield to be one
        yield break;
#pragma warning restore CS0162
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
