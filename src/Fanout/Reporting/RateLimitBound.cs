using System.Collections.Immutable;

namespace Fanout;

/// <summary>
/// The rate-limit term of the report's lower bound: for each provider, the requests and tokens its answered tasks
/// used, held against the summed limits of its keys (each bucket starting full, as providers grant a window's
/// allowance up front), give the earliest moment the last request could have been admitted. A limit counts only when
/// every key of the provider declares it; a key without it would take unlimited work.
/// </summary>
internal static class RateLimitBound
{
    public static double Ms(IEnumerable<Instance> units, ImmutableArray<ProviderLimits> providers)
    {
        if (providers.IsDefaultOrEmpty)
        {
            return 0;
        }

        var answered = units.Where(u => u.Result is { CacheHit: false, Provider: not null }).ToLookup(u => u.Result!.Provider!, StringComparer.Ordinal);
        var bound = TimeSpan.Zero;
        foreach (var provider in providers)
        {
            var served = answered[provider.Provider].ToList();
            if (served.Count == 0 || provider.Keys.IsDefaultOrEmpty)
            {
                continue;
            }

            var input = served.Sum(u => (double)(u.Result!.Tokens?.Input ?? 0));
            var output = served.Sum(u => (double)(u.Result!.Tokens?.Output ?? 0));
            (double Used, Func<KeyLimits, int?> Limit)[] kinds =
            [
                (served.Count, k => k.Rpm),
                (input + output, k => k.Tpm),
                (input, k => k.InputTpm),
                (output, k => k.OutputTpm),
            ];
            foreach (var (used, limit) in kinds)
            {
                if (provider.Keys.All(k => limit(k) is not null))
                {
                    var wait = TokenBucket.TimeToAdmit(used,
                        provider.Keys.Sum(k => TokenBucket.CapacityOf(limit(k)!.Value, k.Window)),
                        provider.Keys.Sum(k => (double)limit(k)!.Value));
                    bound = wait > bound ? wait : bound;
                }
            }
        }

        return bound.TotalMilliseconds;
    }
}
