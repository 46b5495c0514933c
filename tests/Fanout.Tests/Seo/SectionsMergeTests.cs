using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fanout.Tests.Seo;

/// <summary>The sections merge against seed 000's <c>mergePromptResults</c> and <c>v2_metadata</c>, on hand-made dependency results.</summary>
public class SectionsMergeTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly MergeSection[] Seed =
        [new("head", "head"), new("links", "links"), new("content", "content"), new("images", "images"), new("schema", "schema")];

    private static DependencyResult Ok(string id, string output, double startMs, double endMs, long tokensIn = 0, long tokensOut = 0) =>
        new(id, TaskState.Succeeded, JsonDocument.Parse(output).RootElement, null)
        {
            StartedAt = T0.AddMilliseconds(startMs),
            FinishedAt = T0.AddMilliseconds(endMs),
            Tokens = tokensIn + tokensOut > 0 ? new TokenUsage(tokensIn, tokensOut) : null,
        };

    private static DependencyResult Failed(string id, string error, double startMs, double endMs) =>
        new(id, TaskState.Failed, null, error) { StartedAt = T0.AddMilliseconds(startMs), FinishedAt = T0.AddMilliseconds(endMs) };

    private static Dictionary<string, DependencyResult> All(params DependencyResult[] results) => results.ToDictionary(r => r.Id);

    private static Dictionary<string, DependencyResult> FiveSucceeded() => All(
        Ok("head", """{"title":"Sourdough Bakery Portland","description":"Fresh bread.","canonical":"https://x.example/menu","confidence":0.9,"notes":["title shortened"]}""", 0, 2000, 300, 100),
        Ok("links", """{"links":[{"anchor":"catering","href":"/catering"},{"anchor":"visit us","href":"/visit"}],"confidence":0.6,"notes":["two links"]}""", 0, 3000, 250, 150),
        Ok("content", """{"blocks":[{"heading":"Breads"}],"confidence":0.8,"notes":[]}""", 10, 2500, 400, 200),
        Ok("images", """{"alts":[{"src":"a.jpg","alt":"Loaves"},{"src":"b.jpg","alt":"Buns"}],"confidence":0.7,"notes":["alt b is short","kept keywords out of a"]}""", 0, 1500, 200, 50),
        Ok("schema", """{"schema":{"@context":"https://schema.org","@type":"Bakery"},"confidence":1.0}""", 5, 3200, 350, 120));

    private static JsonObject Merge(IReadOnlyDictionary<string, DependencyResult> results, IEnumerable<MergeSection>? sections = null) =>
        SectionsMerge.Merge(sections ?? Seed, results);

    [Fact]
    public void Merged_result_has_exactly_the_V1_fields_in_order_plus_v2_metadata()
    {
        var merged = Merge(FiveSucceeded());

        Assert.Equal(["head", "blocks", "links", "alts", "schema", "confidence", "notes", "v2_metadata"], merged.Select(p => p.Key));
        Assert.Equal(["prompt_count", "successful_prompts", "total_processing_time", "total_tokens", "wall_time_ms"],
            merged["v2_metadata"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Sections_fill_the_V1_fields_as_the_seed_does()
    {
        var merged = Merge(FiveSucceeded());

        // The seed spreads the whole head result into head, its confidence and notes included.
        Assert.Equal("""{"title":"Sourdough Bakery Portland","description":"Fresh bread.","canonical":"https://x.example/menu","confidence":0.9,"notes":["title shortened"]}""",
            merged["head"]!.ToJsonString());
        Assert.Equal("""[{"anchor":"catering","href":"/catering"},{"anchor":"visit us","href":"/visit"}]""", merged["links"]!.ToJsonString());
        Assert.Equal("""[{"heading":"Breads"}]""", merged["blocks"]!.ToJsonString());
        Assert.Equal("""[{"src":"a.jpg","alt":"Loaves"},{"src":"b.jpg","alt":"Buns"}]""", merged["alts"]!.ToJsonString());
        Assert.Equal("""{"@context":"https://schema.org","@type":"Bakery"}""", merged["schema"]!.ToJsonString());
        Assert.Equal((0.9 + 0.6 + 0.8 + 0.7 + 1.0) / 5, merged["confidence"]!.GetValue<double>(), 12);
        Assert.Equal(["title shortened", "two links", "alt b is short", "kept keywords out of a"], merged["notes"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public void V2_metadata_sums_durations_and_tokens_and_adds_the_wall_time()
    {
        var meta = Merge(FiveSucceeded())["v2_metadata"]!;

        Assert.Equal(5, meta["prompt_count"]!.GetValue<int>());
        Assert.Equal(5, meta["successful_prompts"]!.GetValue<int>());
        Assert.Equal(2000 + 3000 + 2490 + 1500 + 3195, meta["total_processing_time"]!.GetValue<long>());
        Assert.Equal(400 + 400 + 600 + 250 + 470, meta["total_tokens"]!.GetValue<long>());
        Assert.Equal(3200, meta["wall_time_ms"]!.GetValue<long>()); // first start (0) to last finish (3.2 s)
    }

    [Fact]
    public void Failed_prompt_becomes_a_note_in_order_and_is_left_out_of_confidence()
    {
        var results = FiveSucceeded();
        results["links"] = Failed("links", "bad request (HTTP 400)", 0, 700);

        var merged = Merge(results);

        Assert.Equal(["title shortened", "links prompt failed: bad request (HTTP 400)", "alt b is short", "kept keywords out of a"],
            merged["notes"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("[]", merged["links"]!.ToJsonString());
        Assert.Equal((0.9 + 0.8 + 0.7 + 1.0) / 4, merged["confidence"]!.GetValue<double>(), 12);
        var meta = merged["v2_metadata"]!;
        Assert.Equal(5, meta["prompt_count"]!.GetValue<int>());
        Assert.Equal(4, meta["successful_prompts"]!.GetValue<int>());
        Assert.Equal(2000 + 700 + 2490 + 1500 + 3195, meta["total_processing_time"]!.GetValue<long>()); // the failure's time counts, as in the seed
        Assert.Equal(400 + 600 + 250 + 470, meta["total_tokens"]!.GetValue<long>());
    }

    [Fact]
    public void Skipped_prompt_is_reported_with_its_reason()
    {
        var results = FiveSucceeded();
        results["schema"] = new DependencyResult("schema", TaskState.Skipped, null, "dependency 'crawl' failed");

        var merged = Merge(results);

        Assert.Equal("schema prompt failed: dependency 'crawl' failed", merged["notes"]!.AsArray().Last()!.GetValue<string>());
        Assert.Equal("{}", merged["schema"]!.ToJsonString());
        Assert.Equal(4, merged["v2_metadata"]!["successful_prompts"]!.GetValue<int>());
    }

    [Fact]
    public void Missing_confidence_counts_as_zero_and_missing_fields_leave_defaults()
    {
        var merged = Merge(All(Ok("head", """{"title":"T"}""", 0, 10), Ok("schema", """{"confidence":0.5}""", 0, 10)),
            [new("head", "head"), new("schema", "schema")]);

        Assert.Equal(0.25, merged["confidence"]!.GetValue<double>(), 12);
        Assert.Equal("{}", merged["schema"]!.ToJsonString());
        Assert.Equal("[]", merged["notes"]!.ToJsonString());
    }

    [Fact]
    public void No_successful_prompt_gives_confidence_zero_and_only_failure_notes()
    {
        var merged = Merge(All(Failed("head", "timed out after 60s", 0, 60_000), Failed("links", "boom", 0, 10)),
            [new("head", "head"), new("links", "links")]);

        Assert.Equal(0, merged["confidence"]!.GetValue<double>());
        Assert.Equal(["head prompt failed: timed out after 60s", "links prompt failed: boom"], merged["notes"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(0, merged["v2_metadata"]!["successful_prompts"]!.GetValue<int>());
        Assert.Equal("{}", merged["head"]!.ToJsonString());
    }

    [Fact]
    public void Section_type_decides_the_field_whatever_the_task_is_called()
    {
        var merged = Merge(All(Ok("deep_links", """{"links":["/a"],"blocks":["ignored"]}""", 0, 10)), [new("links", "deep_links")]);

        Assert.Equal("""["/a"]""", merged["links"]!.ToJsonString());
        Assert.Equal("[]", merged["blocks"]!.ToJsonString());
    }

    [Fact]
    public void Section_naming_a_task_that_is_not_a_dependency_fails_the_merge()
    {
        var e = Assert.Throws<TaskFailedException>(() => Merge(All(), [new("head", "seo_head")]));

        Assert.Contains("'seo_head'", e.Message, StringComparison.Ordinal);
        Assert.False(e.Retryable);
    }
}
