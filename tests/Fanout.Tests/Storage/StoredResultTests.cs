using System.Text.Json;
using Fanout.Storage;

namespace Fanout.Tests.Storage;

public sealed class StoredResultTests
{
    [Fact]
    public void A_result_round_trips_with_its_accounting_and_details()
    {
        var result = new TaskResult
        {
            Output = JsonSerializer.SerializeToElement(new { a = 1, b = "x" }),
            Tokens = new TokenUsage(10, 20, 5),
            CostUsd = 0.125m,
            Provider = "sim",
            Model = "m",
            Key = "main",
            Details = JsonSerializer.SerializeToElement(new { exit_code = 0 }),
            Artifacts = ["img/a.png"],
        };
        var back = StoredResult.Deserialize(StoredResult.Serialize(result));
        Assert.Equal(result.Output.GetRawText(), back.Output.GetRawText());
        Assert.Equal(result.Details!.Value.GetRawText(), back.Details!.Value.GetRawText());
        Assert.Equal(result with { Output = default, Details = null, Artifacts = [] }, back with { Output = default, Details = null, Artifacts = [] });
        Assert.Equal(["img/a.png"], back.Artifacts.ToArray());
    }

    [Fact]
    public void Cache_bookkeeping_is_not_stored()
    {
        var json = StoredResult.Serialize(TaskResult.FromValue(1) with { CacheKey = "k", CacheHit = true, CostSavedUsd = 2m });
        var back = StoredResult.Deserialize(json);
        Assert.Null(back.CacheKey);
        Assert.False(back.CacheHit);
        Assert.Null(back.CostSavedUsd);
        Assert.Equal("1", back.Output.GetRawText());
    }

    [Fact]
    public void An_unset_output_is_stored_as_json_null()
    {
        Assert.Equal("null", StoredResult.Deserialize(StoredResult.Serialize(new TaskResult())).Output.GetRawText());
    }
}
