using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fanout.Providers.Tokens;
using Microsoft.Extensions.AI;

namespace Fanout.Providers.Simulation;

/// <summary>
/// An in-process stand-in for an LLM API: deterministic synthetic answers (text, JSON, JSON that fits the requested
/// schema), a latency model per model waited on the injected clock, token usage, and failure injection. The same
/// request always gets the same answer; whether a call fails also depends on how many times this client has seen
/// that request, so a retry of a failed call can succeed.
/// </summary>
public sealed class SimulatedChatClient : WholeResponseChatClient, ISimulatedFaults
{
    private readonly TimeProvider _time;
    private readonly string _defaultModel;
    private readonly ConcurrentDictionary<ulong, int> _seen = new();
    private readonly long[] _faults = new long[Enum.GetValues<SimulatedFault>().Length];
    private readonly int[] _scriptLeft;
    private long _calls;

    /// <summary>Creates a simulated provider.</summary>
    /// <param name="settings">Seed, failure injection and per-model behaviour (default: no failures, default latency).</param>
    /// <param name="time">The clock latency waits on (default: the system clock).</param>
    /// <param name="defaultModel">Model used when a request names none.</param>
    public SimulatedChatClient(SimulationSettings? settings = null, TimeProvider? time = null, string defaultModel = "gpt-4o-mini")
    {
        Settings = settings ?? new SimulationSettings();
        _time = time ?? TimeProvider.System;
        _defaultModel = defaultModel;
        _scriptLeft = [.. Settings.Script.Select(entry => entry.Times)];
    }

    /// <summary>The settings in force.</summary>
    public SimulationSettings Settings { get; }

    /// <summary>How many calls were made.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <inheritdoc />
    public IReadOnlyDictionary<SimulatedFault, long> InjectedFaults =>
        Enum.GetValues<SimulatedFault>().Where(f => Interlocked.Read(ref _faults[(int)f]) > 0)
            .ToDictionary(f => f, f => Interlocked.Read(ref _faults[(int)f]));

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IList<ChatMessage> ?? [.. messages];
        var model = options?.ModelId ?? _defaultModel;
        var behaviour = Settings.For(model);
        var request = RequestHash(model, list, options);
        var occurrence = _seen.AddOrUpdate(request, 1, (_, n) => n + 1) - 1;
        Interlocked.Increment(ref _calls);

        // Content depends on the request only; timing and failures also on the occurrence.
        var content = new Random(Seed(request, -1));
        var attempt = new Random(Seed(request, occurrence));
        var fault = attempt.NextDouble() < Settings.FailureRate && Settings.Failures.Length > 0
            ? Settings.Failures[attempt.Next(Settings.Failures.Length)]
            : (SimulatedFault?)null;
        var latency = behaviour.Latency!.Sample(attempt);

        var json = options?.ResponseFormat as ChatResponseFormatJson;
        // Drawn first and overridden, so a script leaves the random stream (latency, content) as it was.
        fault = Scripted(list, json) ?? fault;
        var turn = ToolTurns.Decide(list, options, content);
        var (text, finish) = turn.Text is { } scripted ? (scripted, ChatFinishReason.Stop) : Answer(content, behaviour, options, json);
        string? stopSequence = null;
        if (turn.Calls is null)
        {
            (text, stopSequence) = Stop(text, options?.StopSequences);
            finish = stopSequence is null ? finish : ChatFinishReason.Stop;
        }

        switch (fault)
        {
            case SimulatedFault.Timeout:
                Count(fault.Value);
                await Task.Delay(Settings.NetworkTimeout, _time, cancellationToken);
                throw new TaskFailedException($"simulated timeout: no response within {Durations.Format(Settings.NetworkTimeout)}");
            case SimulatedFault.ServerError:
                Count(fault.Value);
                await Task.Delay(latency, _time, cancellationToken);
                throw new TaskFailedException("simulated server error (HTTP 500)");
            case SimulatedFault.RateLimit:
                Count(fault.Value);
                await Task.Delay(latency / 10, _time, cancellationToken);
                throw new RateLimitedException("simulated rate limit (HTTP 429)", TimeSpan.FromSeconds(1));
            case SimulatedFault.BadRequest:
                Count(fault.Value);
                await Task.Delay(latency / 10, _time, cancellationToken);
                throw new TaskFailedException("simulated bad request (HTTP 400)", retryable: false);
            case SimulatedFault.MalformedJson when json is not null:
                Count(fault.Value);
                text = Break(text);
                break;
            case SimulatedFault.SchemaViolation when json?.Schema is { } schema && SchemaBreaker.Break(schema, text) is { } broken:
                Count(fault.Value);
                text = broken;
                break;
        }

        var inputTokens = InputTokens(model, list, options, json);
        var calls = turn.Calls?.Select((c, i) => (AIContent)new FunctionCallContent(CallId(request, occurrence, i), c.Name, Arguments(c.Arguments))).ToList();
        var generated = calls is null ? text : string.Concat(turn.Calls!.Select(c => c.Name + c.Arguments.ToJsonString()));
        var outputTokens = (json is not null || calls is not null) && Settings.UseTokenizer ? ModelTokenizer.Count(model, generated) : TokenCount.FromCharacters(generated.Length);
        await Task.Delay(latency + behaviour.PerOutputToken!.Value * outputTokens, _time, cancellationToken);
        return new ChatResponse(calls is null ? new ChatMessage(ChatRole.Assistant, text) : new ChatMessage(ChatRole.Assistant, calls))
        {
            ModelId = model,
            FinishReason = calls is null ? finish : ChatFinishReason.ToolCalls,
            AdditionalProperties = stopSequence is null ? null : new AdditionalPropertiesDictionary { [StopSequenceProperty] = stopSequence },
            CreatedAt = _time.GetUtcNow(),
            ResponseId = $"sim-{request:x16}-{occurrence}",
            Usage = new UsageDetails
            {
                InputTokenCount = inputTokens,
                OutputTokenCount = outputTokens,
                TotalTokenCount = inputTokens + outputTokens,
                CachedInputTokenCount = 0,
            },
        };
    }

    /// <summary>The key of <see cref="ChatResponse.AdditionalProperties"/> that names the stop sequence an answer was cut at.</summary>
    public const string StopSequenceProperty = "stop_sequence";

    /// <summary>The text up to the earliest stop sequence it contains, and that sequence.</summary>
    private static (string Text, string? Sequence) Stop(string text, IList<string>? sequences)
    {
        var (at, found) = (text.Length, (string?)null);
        foreach (var sequence in sequences ?? [])
        {
            var i = sequence.Length == 0 ? -1 : text.IndexOf(sequence, StringComparison.Ordinal);
            if (i >= 0 && i < at)
            {
                (at, found) = (i, sequence);
            }
        }

        return (text[..at], found);
    }

    private static string CallId(ulong request, int occurrence, int index) =>
        FormattableString.Invariant($"call_{request ^ ((ulong)(uint)occurrence << 32):x16}{index:x2}");

    private static Dictionary<string, object?> Arguments(JsonObject arguments) =>
        arguments.ToDictionary(p => p.Key, p => (object?)(p.Value is null ? null : JsonSerializer.SerializeToElement(p.Value, AIJsonUtilities.DefaultOptions)));

    private static (string Text, ChatFinishReason Finish) Answer(Random random, ModelSimulation behaviour, ChatOptions? options, ChatResponseFormatJson? json)
    {
        if (json is not null)
        {
            var value = json.Schema is { } schema ? SchemaSampler.Sample(schema, random) : GenericObject(random);
            return (value?.ToJsonString() ?? "null", ChatFinishReason.Stop);
        }

        var (min, max) = behaviour.OutputTokens!.Value;
        var tokens = random.Next(min, Math.Max(min, max) + 1);
        if (options?.MaxOutputTokens is { } cap && cap < tokens)
        {
            return (Vocabulary.Prose(random, cap), ChatFinishReason.Length);
        }

        return (Vocabulary.Prose(random, tokens), ChatFinishReason.Stop);
    }

    private static JsonObject GenericObject(Random random) => new()
    {
        ["title"] = Vocabulary.Title(random, random.Next(3, 7)),
        ["summary"] = Vocabulary.Sentence(random, random.Next(12, 25)),
        ["items"] = new JsonArray([.. Enumerable.Range(0, random.Next(2, 5)).Select(_ => (JsonNode?)JsonValue.Create(Vocabulary.Phrase(random, random.Next(1, 4))))]),
        ["score"] = random.Next(0, 101),
    };

    /// <summary>Cuts the JSON short, as a model stopping mid-answer does.</summary>
    private static string Break(string text) => text.Length <= 2 ? "{" : text[..(text.Length / 2)];

    private long InputTokens(string model, IList<ChatMessage> messages, ChatOptions? options, ChatResponseFormatJson? json) => Settings.UseTokenizer
        ? ModelTokenizer.CountPrompt(model, messages, json?.Schema)
        : TokenCount.Prompt(messages, options);

    /// <summary>The fault of the first script entry that matches this call and has uses left (using one up), if any.</summary>
    private SimulatedFault? Scripted(IList<ChatMessage> messages, ChatResponseFormatJson? json)
    {
        for (var i = 0; i < _scriptLeft.Length; i++)
        {
            var entry = Settings.Script[i];
            var applies = entry.Fault switch
            {
                SimulatedFault.MalformedJson => json is not null,
                SimulatedFault.SchemaViolation => json?.Schema is not null,
                _ => true,
            };
            if (applies && (entry.Match is null || messages.Any(m => m.Text.Contains(entry.Match, StringComparison.Ordinal)))
                && Volatile.Read(ref _scriptLeft[i]) > 0 && Interlocked.Decrement(ref _scriptLeft[i]) >= 0)
            {
                return entry.Fault;
            }
        }

        return null;
    }

    private void Count(SimulatedFault fault) => Interlocked.Increment(ref _faults[(int)fault]);

    private int Seed(ulong request, int occurrence)
    {
        // SplitMix64 finalizer over (seed, request, occurrence): well-spread 32-bit seeds for System.Random.
        var z = request ^ ((ulong)(uint)Settings.Seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)(uint)(occurrence + 1) * 0xBF58476D1CE4E5B9UL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (int)(z & 0x7FFFFFFF);
    }

    /// <summary>A stable hash of what determines the answer: model, messages, and the options that shape output.</summary>
    private static ulong RequestHash(string model, IList<ChatMessage> messages, ChatOptions? options)
    {
        var text = new StringBuilder().Append(model).Append('\u0001');
        foreach (var message in messages)
        {
            text.Append(message.Role.Value).Append('\u0002').Append(message.Text).Append('\u0001');
            // Only what plain text lacks, so a plain conversation keeps the hash (and answer) it always had.
            foreach (var content in message.Contents)
            {
                _ = content switch
                {
                    FunctionCallContent call => text.Append("call:").Append(call.Name).Append(JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions)),
                    FunctionResultContent result => text.Append("result:").Append(result.CallId).Append(JsonSerializer.Serialize(result.Result, AIJsonUtilities.DefaultOptions)),
                    _ => text,
                };
            }
        }

        if (options?.Tools is { Count: > 0 } tools)
        {
            text.Append("tools:").AppendJoin(',', tools.Select(t => t.Name)).Append(options.ToolMode switch
            {
                RequiredChatToolMode { RequiredFunctionName: { } name } => "=" + name,
                RequiredChatToolMode => "!",
                NoneChatToolMode => "-",
                _ => "",
            }).Append(options.AllowMultipleToolCalls == false ? "1" : "").Append('\u0001');
        }

        if (options?.Seed is { } seed)
        {
            text.Append("seed:").Append(seed.ToString(CultureInfo.InvariantCulture)).Append('\u0001');
        }

        text.Append(options?.Temperature?.ToString(CultureInfo.InvariantCulture)).Append('\u0001')
            .Append(options?.MaxOutputTokens?.ToString(CultureInfo.InvariantCulture)).Append('\u0001')
            .Append(options?.ResponseFormat switch
            {
                ChatResponseFormatJson { Schema: { } schema } => "schema:" + JsonSerializer.Serialize(schema),
                ChatResponseFormatJson => "json",
                _ => "text",
            });
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return BitConverter.ToUInt64(hash, 0);
    }
}
