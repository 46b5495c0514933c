using System.Globalization;

namespace Fanout.Providers.Pools;

/// <summary>One key's counters at the end of (or during) a run.</summary>
/// <param name="Alias">The key's alias.</param>
/// <param name="Sent">Requests sent with it (re-routed ones count on each key tried).</param>
/// <param name="Succeeded">Requests it answered.</param>
/// <param name="RateLimited">429s it got.</param>
/// <param name="Failed">Other retryable failures (5xx, timeouts, resets) it got.</param>
/// <param name="BreakerOpened">Times its circuit breaker opened.</param>
/// <param name="Disabled">Why it was disabled for the run (the provider's 401 message), or null.</param>
/// <param name="Concurrency">Its concurrency cap at the end (in adaptive mode, what AIMD found); null when unlimited.</param>
public sealed record KeyStats(string Alias, long Sent, long Succeeded, long RateLimited, long Failed, long BreakerOpened, string? Disabled, int? Concurrency);

/// <summary>
/// A pool's counters and how good its token estimate was. <see cref="InputError"/> is Σ|estimate − actual| / Σ actual
/// over prompt tokens; <see cref="InputBias"/> is Σ(estimate − actual) / Σ actual (positive: over-estimates);
/// <see cref="ReservedPerUsed"/> is tokens reserved at admission (input estimate + max_tokens) per token used.
/// </summary>
/// <param name="Provider">The provider's name.</param>
/// <param name="Keys">Every key, in plan order.</param>
/// <param name="Measured">Responses that reported usage.</param>
/// <param name="InputError">Mean absolute relative error of the input estimate.</param>
/// <param name="InputBias">Mean signed relative error of the input estimate.</param>
/// <param name="ReservedPerUsed">Reserved tokens per used token.</param>
public sealed record PoolStats(string Provider, IReadOnlyList<KeyStats> Keys, long Measured, double InputError, double InputBias, double ReservedPerUsed)
{
    /// <summary>One line for the run summary: requests per key alias, 429s, breakers, disabled keys, estimator error.</summary>
    public string Describe()
    {
        var keys = string.Join(", ", Keys.Select(k =>
        {
            var notes = new List<string>();
            if (k.RateLimited > 0)
            {
                notes.Add($"{k.RateLimited} × 429");
            }

            if (k.Failed > 0)
            {
                notes.Add($"{k.Failed} failed");
            }

            if (k.BreakerOpened > 0)
            {
                notes.Add($"breaker opened {k.BreakerOpened}×");
            }

            if (k.Disabled is not null)
            {
                notes.Add("disabled (401)");
            }

            return string.Create(CultureInfo.InvariantCulture, $"{k.Alias} {k.Succeeded}/{k.Sent}") + (notes.Count > 0 ? $" ({string.Join(", ", notes)})" : "");
        }));
        var estimate = Measured == 0 ? "" : string.Create(CultureInfo.InvariantCulture,
            $" · input estimate error {InputError * 100:F1}% (bias {InputBias * 100:+0.0;-0.0;0.0}%), reserved/used {ReservedPerUsed:F2}×");
        return $"pool {Provider} (answered/sent): {keys}{estimate}";
    }
}
