namespace Fanout.Storage;

/// <summary>
/// One prompt sent through a provider's Batch API, journaled once the batch exists so that a restarted run polls the
/// batch it already paid for instead of submitting the prompt again.
/// </summary>
/// <param name="ItemKey">What identifies the request across restarts: a hash of the run, the task instance and the
/// request body (a retry that changes the prompt is a new item).</param>
/// <param name="CustomId">The <c>custom_id</c> its result is matched back by.</param>
/// <param name="BatchId">The provider's batch id.</param>
/// <param name="Provider">The plan's provider name.</param>
/// <param name="KeyAlias">The key's alias (never the secret): a batch is read back with the key that created it.</param>
/// <param name="CreatedAt">When the batch was created.</param>
/// <param name="Failed">The provider answered this item with an error: a retry submits it again.</param>
public sealed record BatchItemRecord(string ItemKey, string CustomId, string BatchId, string Provider, string KeyAlias, DateTimeOffset CreatedAt, bool Failed = false);
