using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fanout.Providers.Pools;

/// <summary>Adds the key pools' figures to a run.json document as a top-level <c>pools</c> array (aliases only, never keys).</summary>
public static class PoolReport
{
    /// <summary><paramref name="runJson"/> with <c>pools</c> added when there are any; unchanged otherwise.</summary>
    public static string AddTo(string runJson, IReadOnlyList<PoolStats> pools)
    {
        ArgumentNullException.ThrowIfNull(pools);
        if (pools.Count == 0 || JsonNode.Parse(runJson) is not JsonObject document)
        {
            return runJson;
        }

        document["pools"] = JsonSerializer.SerializeToNode(pools, RunReport.JsonOptions);
        return document.ToJsonString(RunReport.JsonOptions);
    }
}
