using System.Text.Json;
using System.Text.RegularExpressions;
using Fanout.Tests.Plans;

namespace Fanout.Tests.Architecture;

/// <summary>Task states, run statuses, attempt outcomes and event kinds are spelled once, in src/Fanout/Vocabulary:
/// the JSON serializer, the journal and every other reader take the word from there.</summary>
public sealed partial class VocabularyTests
{
    /// <summary>Files that may spell a word, and why.</summary>
    private static readonly Dictionary<string, string> Allowed = new(StringComparer.Ordinal)
    {
        // An applied migration's text is history: it must not change when the code does.
        ["src/Fanout.Storage.Postgres/Migrations.cs"] = "migration history",
        // after: succeeded | settled is the plan's own keyword (DependencyTrigger), not a task state.
        ["src/Fanout.Plans/Reading/TaskReader.cs"] = "plan keyword",
        // The providers' Batch API words (Anthropic's result types, OpenAI's request counts), not task states.
        ["src/Fanout.Simulator/BatchEndpoints.cs"] = "provider wire words",
        ["src/Fanout.Providers/Batch/AnthropicBatchProtocol.cs"] = "provider wire words",
    };

    public static TheoryData<Type> Vocabularies => [typeof(TaskState), typeof(RunStatus), typeof(AttemptOutcome), typeof(RunEventKind)];

    [Theory]
    [MemberData(nameof(Vocabularies))]
    public void Every_word_parses_back_to_its_member_and_is_what_json_writes(Type vocabulary)
    {
        var check = typeof(VocabularyTests).GetMethod(nameof(RoundTrip), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!;
        check.MakeGenericMethod(vocabulary).Invoke(null, null);
    }

    private static void RoundTrip<TEnum>() where TEnum : struct, Enum
    {
        Assert.Equal(Enum.GetValues<TEnum>().Length, WireName<TEnum>.All.Distinct(StringComparer.Ordinal).Count());
        foreach (var value in Enum.GetValues<TEnum>())
        {
            var word = WireName<TEnum>.Of(value);
            Assert.Matches("^[a-z]+(_[a-z]+)*$", word);
            Assert.Equal(value, WireName<TEnum>.Parse(word));
            Assert.Equal($"\"{word}\"", JsonSerializer.Serialize(value, RunReport.JsonOptions));
            Assert.Equal(value, JsonSerializer.Deserialize<TEnum>($"\"{word}\"", RunReport.JsonOptions));
        }
    }

    [Fact]
    public void An_unknown_word_is_refused_with_the_words_that_exist()
    {
        Assert.False(WireName<TaskState>.TryParse("done", out _));
        var e = Assert.Throws<FormatException>(() => WireName<TaskState>.Parse("Succeeded"));
        Assert.Contains("pending, ready, running, succeeded, failed, skipped, cancelled", e.Message);
    }

    [Fact]
    public void Counts_are_shown_in_life_cycle_order_then_by_name()
    {
        var counts = new Dictionary<string, int> { ["skipped"] = 1, ["zeta"] = 1, ["succeeded"] = 2, ["alpha"] = 1, ["failed"] = 3 };

        Assert.Equal(["succeeded", "failed", "skipped", "alpha", "zeta"], counts.InStateOrder().Select(c => c.Key));
    }

    [Fact]
    public void No_source_file_outside_the_vocabulary_spells_a_word_of_it()
    {
        var found = SpelledWords(Path.Combine(Fixtures.RepoRoot, "src"))
            .Where(hit => !hit.File.StartsWith("src/Fanout/Vocabulary/", StringComparison.Ordinal) && !Allowed.ContainsKey(hit.File))
            .Select(hit => $"{hit.File}:{hit.Line}: {hit.Word}");

        Assert.Empty(found);
    }

    [Fact]
    public void The_scan_finds_the_words_where_they_are_defined()
    {
        // The scan must be able to fail: the vocabulary itself spells every word.
        var words = SpelledWords(Path.Combine(Fixtures.RepoRoot, "src", "Fanout", "Vocabulary")).Select(h => h.Word).ToHashSet();

        Assert.Superset(words, AllWords().ToHashSet());
    }

    private static IEnumerable<string> AllWords() =>
        WireName<TaskState>.All.Concat(WireName<RunStatus>.All).Concat(WireName<AttemptOutcome>.All).Concat(WireName<RunEventKind>.All).Distinct();

    private static IEnumerable<(string File, int Line, string Word)> SpelledWords(string directory)
    {
        var words = AllWords().ToHashSet(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(directory, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(Fixtures.RepoRoot, path).Replace('\\', '/');
            if (relative.Contains("/obj/", StringComparison.Ordinal) || relative.Contains("/bin/", StringComparison.Ordinal))
            {
                continue;
            }

            var lines = File.ReadAllLines(path);
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match m in Quoted().Matches(lines[i]))
                {
                    if (words.Contains(m.Groups[1].Value))
                    {
                        yield return (relative, i + 1, m.Groups[1].Value);
                    }
                }
            }
        }
    }

    /// <summary>A word in double or single quotes (C# strings and SQL literals).</summary>
    [GeneratedRegex("""["']([a-z_]+)["']""")]
    private static partial Regex Quoted();
}
