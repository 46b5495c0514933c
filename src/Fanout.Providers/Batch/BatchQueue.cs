using System.Security.Cryptography;
using System.Text;
using Fanout.Storage;
using Microsoft.Extensions.AI;

namespace Fanout.Providers.Batch;

/// <summary>
/// The batch client of one provider key: prompts arriving within <see cref="BatchSettings.Window"/> of the first go
/// out as one batch; each waits for its own result (matched by <c>custom_id</c>) while one loop per batch polls it.
/// A batch's items are journaled (<see cref="IRunStore.RecordBatchItemsAsync"/>) as soon as it exists, so a
/// restarted run finds the batch of a prompt it already sent and polls it instead of sending the prompt again. An
/// item the provider failed is marked so, and the task's retry policy decides whether it is sent again.
/// </summary>
internal sealed class BatchQueue(string provider, string keyAlias, IBatchProtocol protocol, BatchSettings settings, TimeProvider time)
    : WholeResponseChatClient
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Task<IReadOnlyDictionary<string, BatchOutcome>>> _polls = new(StringComparer.Ordinal);
    private List<Pending>? _gathering;
    private IRunStore? _journal;
    private string? _runId;

    /// <summary>Journals batches in <paramref name="journal"/> under run <paramref name="runId"/>; until then batch prompts fail.</summary>
    public void Attach(IRunStore journal, string runId)
    {
        _journal = journal;
        _runId = runId;
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var journal = _journal ?? throw new TaskFailedException("batch mode needs a run journal (a store)", retryable: false);
        var instance = options?.AdditionalProperties?.TryGetValue(PromptExecutor.StickyKeyProperty, out var sticky) == true ? sticky as string : null;
        var body = protocol.RequestBody(messages, options);
        var itemKey = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{provider}\n{_runId}\n{instance}\n{body}")));
        var journaled = await journal.FindBatchItemAsync(itemKey, cancellationToken);
        var (recorded, outcome) = journaled is { Failed: false }
            ? (Task.FromResult(journaled), Result(journaled.BatchId, journaled.CustomId))
            : Enqueue(itemKey, body);
        var record = await recorded.WaitAsync(cancellationToken);
        var result = await outcome.WaitAsync(cancellationToken);
        if (result.Failure is { } failure)
        {
            await journal.RecordBatchItemsAsync([record with { Failed = true }], CancellationToken.None);
            throw failure;
        }

        return result.Response!;
    }

    private (Task<BatchItemRecord> Record, Task<BatchOutcome> Outcome) Enqueue(string itemKey, string body)
    {
        var pending = new Pending(itemKey, "fo-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), body);
        lock (_lock)
        {
            if (_gathering is null)
            {
                _gathering = [];
                _ = FlushAfterWindowAsync();
            }

            _gathering.Add(pending);
        }

        return (pending.Record.Task, pending.Outcome.Task.Unwrap());
    }

    private async Task FlushAfterWindowAsync()
    {
        await Task.Delay(settings.Window, time);
        List<Pending> items;
        lock (_lock)
        {
            items = _gathering!;
            _gathering = null;
        }

        try
        {
            var batchId = await protocol.CreateAsync([.. items.Select(i => (i.CustomId, i.Body))], CancellationToken.None);
            var records = items.Select(i => new BatchItemRecord(i.ItemKey, i.CustomId, batchId, provider, keyAlias, time.GetUtcNow())).ToList();
            // Journal-first: nobody waits on the batch until a restart could find it.
            await _journal!.RecordBatchItemsAsync(records, CancellationToken.None);
            for (var i = 0; i < items.Count; i++)
            {
                items[i].Record.SetResult(records[i]);
                items[i].Outcome.SetResult(Result(batchId, items[i].CustomId));
            }
        }
        catch (Exception e)
        {
            foreach (var item in items)
            {
                item.Record.TrySetException(e);
                item.Outcome.TrySetException(e);
            }
        }
    }

    /// <summary>The outcome of <paramref name="customId"/> in <paramref name="batchId"/>, from the batch's one poll loop.</summary>
    private Task<BatchOutcome> Result(string batchId, string customId)
    {
        Task<IReadOnlyDictionary<string, BatchOutcome>> poll;
        lock (_lock)
        {
            if (!_polls.TryGetValue(batchId, out poll!))
            {
                _polls[batchId] = poll = PollAsync(batchId);
            }
        }

        return Pick(poll, batchId, customId);
    }

    private static async Task<BatchOutcome> Pick(Task<IReadOnlyDictionary<string, BatchOutcome>> poll, string batchId, string customId) =>
        (await poll).TryGetValue(customId, out var outcome)
            ? outcome
            : new BatchOutcome(null, new TaskFailedException($"batch {batchId} ended without a result for {customId}", retryable: true));

    private async Task<IReadOnlyDictionary<string, BatchOutcome>> PollAsync(string batchId)
    {
        while (true)
        {
            try
            {
                if (await protocol.PollAsync(batchId, CancellationToken.None) is { } results)
                {
                    return results;
                }
            }
            catch (TaskFailedException e) when (e.Retryable)
            {
                // A failed poll is not a failed batch: ask again at the next interval.
            }

            await Task.Delay(settings.Poll, time);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            (protocol as IDisposable)?.Dispose();
        }

        base.Dispose(disposing);
    }

    private sealed record Pending(string ItemKey, string CustomId, string Body)
    {
        public TaskCompletionSource<BatchItemRecord> Record { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<Task<BatchOutcome>> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
