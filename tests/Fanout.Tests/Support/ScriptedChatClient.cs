using Microsoft.Extensions.AI;

namespace Fanout.Tests.Support;

/// <summary>Answers with the scripted texts in turn (the last one repeats), recording the user prompts and options.</summary>
internal sealed class ScriptedChatClient(params string[] answers) : IChatClient
{
    public const int OutputTokens = 7;

    public List<string> Prompts { get; } = [];

    public List<ChatOptions?> Options { get; } = [];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Prompts.Add(messages.Last().Text);
        Options.Add(options);
        var text = answers[Math.Min(Prompts.Count - 1, answers.Length - 1)];
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = OutputTokens },
        });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

/// <summary>Resolves every prompt to one client at $1 per million tokens, recording what was asked for.</summary>
internal sealed class FixedResolver(IChatClient client) : IChatClientResolver
{
    public List<(string? Provider, string? Model)> Asked { get; } = [];

    public ChatTarget Resolve(string? provider, string? model)
    {
        Asked.Add((provider, model));
        return new ChatTarget(client, provider ?? "fake", model ?? "fake-model", new ModelPrice(1, 1));
    }
}
