using Microsoft.Extensions.AI;

namespace Fanout.Providers.Batch;

/// <summary>One provider's Batch API: the body of one request, creating a batch of them, and reading it back.</summary>
internal interface IBatchProtocol
{
    /// <summary>The JSON body of one request, the same for the same messages and options (it is part of the item's key).</summary>
    string RequestBody(IEnumerable<ChatMessage> messages, ChatOptions? options);

    /// <summary>Creates one batch of <paramref name="items"/>; returns its id.</summary>
    Task<string> CreateAsync(IReadOnlyList<(string CustomId, string Body)> items, CancellationToken cancellationToken);

    /// <summary>Each item's outcome by <c>custom_id</c> once the batch has ended; null while it is still running.</summary>
    Task<IReadOnlyDictionary<string, BatchOutcome>?> PollAsync(string batchId, CancellationToken cancellationToken);
}

/// <summary>One item's answer, or the failure the provider gave it.</summary>
internal sealed record BatchOutcome(ChatResponse? Response, TaskFailedException? Failure);

/// <summary>How a provider's batches are gathered and polled (<c>batch: { window, poll }</c>).</summary>
/// <param name="Window">How long the first prompt waits for others to join its batch.</param>
/// <param name="Poll">How often a running batch is asked whether it has ended.</param>
internal sealed record BatchSettings(TimeSpan Window, TimeSpan Poll)
{
    public static readonly BatchSettings Default = new(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));
}
