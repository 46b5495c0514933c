using System.Buffers;
using System.Text;
using System.Text.Json;
using Fanout.Templates;

namespace Fanout;

/// <summary>
/// Replaces every known secret value with <c>[redacted:ALIAS]</c>. One instance per run holds them all (configured
/// provider keys, the <c>*_API_KEY</c>/<c>*_TOKEN</c>/… values of Fanout's environment) and is applied where text
/// enters the run's records: executor results and failures (<see cref="Wrap"/>), the plan text the journal keeps.
/// Everything downstream (events, journal, cache, run.json, report.html, the live view) sees only redacted text.
/// </summary>
/// <remarks>
/// The search is one pass per text over all secrets at once with <see cref="SearchValues{T}"/> of strings (the
/// runtime's multi-string matcher, Aho–Corasick/Teddy), so many keys cost about as much as one; no library is needed.
/// Values shorter than <see cref="MinimumLength"/> are not treated as secrets: redacting "1" or "true" everywhere
/// would destroy the records without protecting anything.
/// </remarks>
public sealed class Redactor
{
    /// <summary>The shortest value treated as a secret.</summary>
    public const int MinimumLength = 8;

    private static readonly string[] SecretSuffixes = ["_API_KEY", "_TOKEN", "_SECRET", "_SECRET_KEY", "_PASSWORD", "_ACCESS_KEY"];
    private static readonly string[] SecretNames = ["API_KEY", "TOKEN", "SECRET", "PASSWORD"];

    private readonly SearchValues<string>? _search;

    /// <summary>For each first character, the secrets that start with it, longest first (the longest match wins).</summary>
    private readonly Dictionary<char, (string Secret, string Replacement)[]> _byFirst;

    /// <summary>Creates a redactor for <paramref name="secrets"/> (alias → value pairs; a value may repeat under
    /// several aliases, the first alias names it).</summary>
    public Redactor(IEnumerable<KeyValuePair<string, string>> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var known = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (alias, value) in secrets)
        {
            if (value is { Length: >= MinimumLength })
            {
                known.TryAdd(value, $"[redacted:{alias}]");
            }
        }

        Count = known.Count;
        _byFirst = known.GroupBy(k => k.Key[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(k => k.Key.Length).Select(k => (k.Key, k.Value)).ToArray());
        _search = known.Count == 0 ? null : SearchValues.Create([.. known.Keys], StringComparison.Ordinal);
    }

    /// <summary>A redactor that knows no secret.</summary>
    public static Redactor None { get; } = new([]);

    /// <summary>How many distinct secret values are known.</summary>
    public int Count { get; }

    /// <summary>Whether an environment variable's name says it holds a secret (<c>OPENAI_API_KEY</c>,
    /// <c>GITHUB_TOKEN</c>, <c>*_SECRET</c>, <c>*_PASSWORD</c>…).</summary>
    public static bool IsSecretName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return SecretNames.Contains(name, StringComparer.OrdinalIgnoreCase)
            || SecretSuffixes.Any(s => name.EndsWith(s, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The secret-named variables of <paramref name="environment"/>, each aliased by its name.</summary>
    public static IEnumerable<KeyValuePair<string, string>> SecretVariables(IEnumerable<KeyValuePair<string, string>> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        return environment.Where(v => IsSecretName(v.Key));
    }

    /// <summary>Whether <paramref name="text"/> holds a known secret.</summary>
    public bool Contains(ReadOnlySpan<char> text) => _search is not null && text.IndexOfAny(_search) >= 0;

    /// <summary><paramref name="text"/> with every known secret replaced by its alias (the same instance when none occurs).</summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_search is null)
        {
            return text;
        }

        var rest = text.AsSpan();
        var at = rest.IndexOfAny(_search);
        if (at < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        while (at >= 0)
        {
            builder.Append(rest[..at]);
            var (secret, replacement) = Longest(rest[at..]);
            builder.Append(replacement);
            rest = rest[(at + secret.Length)..];
            at = rest.IndexOfAny(_search);
        }

        return builder.Append(rest).ToString();
    }

    /// <summary>The longest known secret <paramref name="text"/> starts with (the matcher found one there).</summary>
    private (string Secret, string Replacement) Longest(ReadOnlySpan<char> text)
    {
        foreach (var candidate in _byFirst[text[0]])
        {
            if (text.StartsWith(candidate.Secret, StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("the matcher reported a secret that is not known");
    }

    /// <summary><paramref name="value"/> with every string (and property name) redacted; the same value when no secret occurs.</summary>
    public JsonElement Redact(JsonElement value)
    {
        if (_search is null || value.ValueKind is not (JsonValueKind.String or JsonValueKind.Object or JsonValueKind.Array) || !Holds(value))
        {
            return value;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(writer, value);
        }

        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary><paramref name="result"/> with its output and details redacted.</summary>
    public TaskResult Redact(TaskResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return _search is null ? result : result with
        {
            Output = Redact(result.Output),
            Details = result.Details is { } details ? Redact(details) : null,
        };
    }

    /// <summary>
    /// <paramref name="error"/> when its message holds no secret, else a failure with the redacted message that the
    /// scheduler treats the same way (retryable or not, Retry-After, tokens and cost kept). The original is not
    /// chained: its text is what must not be kept.
    /// </summary>
    public Exception Redact(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error is OperationCanceledException || !Contains(error.Message))
        {
            return error;
        }

        var message = Redact(Scheduler.Describe(error));
        return error switch
        {
            RateLimitedException limited => new RateLimitedException(message, limited.RetryAfter),
            TaskFailedException failed => new TaskFailedException(message, failed.Retryable, null, failed.Tokens, failed.CostUsd),
            TemplateException or PlanException => new TaskFailedException(message, retryable: false),
            _ => new TaskFailedException(message),
        };
    }

    /// <summary>Every executor of <paramref name="registry"/> with its results and failures redacted.</summary>
    public ExecutorRegistry Wrap(ExecutorRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        if (_search is null)
        {
            return registry;
        }

        foreach (var kind in registry.Kinds.ToList())
        {
            registry = registry.With(new RedactingExecutor(registry.Get(kind), this));
        }

        return registry;
    }

    private bool Holds(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => Contains(value.GetString()),
        JsonValueKind.Array => value.EnumerateArray().Any(Holds),
        JsonValueKind.Object => value.EnumerateObject().Any(p => Contains(p.Name) || Holds(p.Value)),
        _ => false,
    };

    private void Write(Utf8JsonWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                writer.WriteStringValue(Redact(value.GetString()!));
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject())
                {
                    writer.WritePropertyName(Redact(property.Name));
                    Write(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }
}

/// <summary>An executor whose results and failures pass through the run's <see cref="Redactor"/> before the
/// scheduler (and so the cache, the journal, events and reports) sees them.</summary>
internal sealed class RedactingExecutor(ITaskExecutor inner, Redactor redactor) : ITaskExecutor, ICacheableExecutor
{
    public string Kind => inner.Kind;

    public async ValueTask<TaskResult> ExecuteAsync(TaskContext context, CancellationToken cancellationToken)
    {
        TaskResult result;
        try
        {
            result = await inner.ExecuteAsync(context, cancellationToken);
        }
        catch (Exception e)
        {
            var redacted = redactor.Redact(e);
            if (ReferenceEquals(redacted, e))
            {
                throw;
            }

            throw redacted;
        }

        return redactor.Redact(result);
    }

    /// <summary>The inner executor's key: wrapping must not change what is cacheable.</summary>
    public string? CacheKey(TaskContext context) => (inner as ICacheableExecutor)?.CacheKey(context);
}
