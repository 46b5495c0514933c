using Fanout.Providers.Pools;
using Microsoft.Extensions.AI;

namespace Fanout.Tests.Pools;

/// <summary>A key's client that records what it was sent and when (on the test's clock) and answers through a hook.</summary>
internal sealed class FakeKey(string alias, TimeProvider time, Func<FakeKey, IList<ChatMessage>, Task<ChatResponse>>? handler = null) : IChatClient
{
    private readonly Lock _gate = new();
    private readonly List<(string Prompt, DateTimeOffset At)> _sent = [];
    private readonly List<(int Count, TaskCompletionSource Done)> _watchers = [];

    public string Alias { get; } = alias;

    public RateHeaderSink Headers { get; } = new();

    public IReadOnlyList<(string Prompt, DateTimeOffset At)> Sent
    {
        get
        {
            lock (_gate)
            {
                return [.. _sent];
            }
        }
    }

    public int Count => Sent.Count;

    /// <summary>Completes once <paramref name="count"/> requests have reached this key.</summary>
    public Task WhenSent(int count)
    {
        lock (_gate)
        {
            if (_sent.Count >= count)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _watchers.Add((count, done));
            return done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    public static ChatResponse Answer(long input, long output) => new(new ChatMessage(ChatRole.Assistant, "ok"))
    {
        Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output },
    };

    /// <summary>A 200 answer charging chars/4 input tokens (what the pool estimates) and 10 output tokens.</summary>
    public static Task<ChatResponse> Ok(FakeKey key, IList<ChatMessage> messages) =>
        Task.FromResult(Answer((messages.Sum(m => m.Text.Length) + 3) / 4, 10));

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        lock (_gate)
        {
            _sent.Add((list[^1].Text, time.GetUtcNow()));
            foreach (var watcher in _watchers.Where(w => _sent.Count >= w.Count).ToList())
            {
                watcher.Done.TrySetResult();
                _watchers.Remove(watcher);
            }
        }

        return (handler ?? Ok)(this, list);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

/// <summary>Builds pools over fake keys and sends prompts through them.</summary>
internal static class PoolKit
{
    public static KeyPool Pool(PoolOptions options, params (FakeKey Key, KeyLimits Limits)[] keys) =>
        new("llm", [.. keys.Select(k => new PoolKey(k.Key.Alias, k.Key, k.Key.Headers) { Limits = k.Limits })], options);

    /// <summary>A prompt of <paramref name="tokens"/> estimated input tokens (4 characters each).</summary>
    public static string Prompt(int tokens, char fill = 'a') => new(fill, tokens * 4);

    public static Task<ChatResponse> Ask(KeyPool pool, string prompt, int maxTokens = 10, string? sticky = null, CancellationToken cancellationToken = default)
    {
        var options = new ChatOptions { MaxOutputTokens = maxTokens };
        if (sticky is not null)
        {
            options.AdditionalProperties = new() { [PromptExecutor.StickyKeyProperty] = sticky };
        }

        return pool.GetResponseAsync([new ChatMessage(ChatRole.User, prompt)], options, cancellationToken);
    }

    public static string KeyOf(ChatResponse response) => (string)response.AdditionalProperties![PromptExecutor.KeyAliasProperty]!;

    public static Task<T> Done<T>(Task<T> task) => task.WaitAsync(TimeSpan.FromSeconds(10));

    public static Task Done(Task task) => task.WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>Waits (on the real clock, at most 10 s) until another thread has made <paramref name="condition"/> true.</summary>
    public static async Task Until(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached");
            await Task.Yield();
        }
    }
}
