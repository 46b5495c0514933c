using System.Collections.Frozen;
using System.Reflection;
using System.Text.Json.Serialization;

namespace Fanout;

/// <summary>
/// The wire words of a vocabulary enum (<see cref="TaskState"/>, <see cref="RunStatus"/>, <see cref="AttemptOutcome"/>,
/// <see cref="RunEventKind"/>): each member spells its word once, in its <see cref="JsonStringEnumMemberNameAttribute"/>,
/// which System.Text.Json honours too, so run.json, events, the journal, SQL and the CLI all read the same word.
/// </summary>
/// <typeparam name="TEnum">The vocabulary.</typeparam>
public static class WireName<TEnum> where TEnum : struct, Enum
{
    private static readonly FrozenDictionary<TEnum, string> Words = typeof(TEnum)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .ToFrozenDictionary(
            f => (TEnum)f.GetValue(null)!,
            // A member without a word is a bug in the vocabulary, found by the first use (and by WireNameTests).
            f => f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name
                 ?? throw new InvalidOperationException($"{typeof(TEnum).Name}.{f.Name} has no wire name"));

    private static readonly FrozenDictionary<string, TEnum> Values = Words.ToFrozenDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);

    /// <summary>Every word, in declaration order.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Enum.GetValues<TEnum>().Select(v => Words[v])];

    /// <summary>The word for <paramref name="value"/>.</summary>
    public static string Of(TEnum value) => Words[value];

    /// <summary>The member <paramref name="word"/> names; false for a word this version does not know.</summary>
    public static bool TryParse(string? word, out TEnum value) => Values.TryGetValue(word ?? "", out value);

    /// <summary>The member <paramref name="word"/> names.</summary>
    /// <exception cref="FormatException">The word is not one of <see cref="All"/>.</exception>
    public static TEnum Parse(string word) => TryParse(word, out var value)
        ? value
        : throw new FormatException($"'{word}' is not a {typeof(TEnum).Name} (expected one of: {string.Join(", ", All)})");

    /// <summary>The words of <paramref name="values"/> as a SQL list (<c>('a', 'b')</c>); the words are this project's
    /// own constants, never input, so quoting them inline is safe.</summary>
    public static string SqlList(IEnumerable<TEnum> values) => $"({string.Join(", ", values.Select(v => $"'{Words[v]}'"))})";
}
