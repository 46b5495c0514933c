using System.Text.Json;

namespace Fanout.Providers.Pools;

/// <summary>The key pools' figures for a run's report: a top-level <c>pools</c> array (aliases only, never keys) and
/// the 429s the pools absorbed.</summary>
public static class PoolReport
{
    /// <summary>What <paramref name="pools"/> saw, for <see cref="RunOptions.ProviderFacts"/>.</summary>
    public static ProviderFacts Facts(IReadOnlyList<PoolStats> pools)
    {
        ArgumentNullException.ThrowIfNull(pools);
        return new ProviderFacts
        {
            // 429s a key pool absorbed (re-routed or waited out) never reach a task's attempts, but they were still seen.
            RateLimited = (int)pools.Sum(p => p.Keys.Sum(k => k.RateLimited)),
            Pools = pools.Count == 0 ? null : JsonSerializer.SerializeToElement(pools, RunReport.JsonOptions),
        };
    }
}
