namespace Fanout.Plans;

/// <summary>
/// The ranges plan fields and the matching command-line options accept, in one place. Each is far beyond real use and
/// inside what the engine can honour: timers cannot wait longer than about 49 days, and prices and budgets are decimals.
/// </summary>
public static class PlanLimits
{
    /// <summary>Most tasks at once (<c>concurrency</c>, <c>--concurrency</c>, a pool's size).</summary>
    public const int MaxConcurrency = 100_000;

    /// <summary>The longest duration (<c>timeout</c>, <c>estimate</c>, retry delays): 7 days.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(7);

    /// <summary>The largest budget in US dollars (<c>budget_usd</c>, <c>--budget-usd</c>).</summary>
    public const decimal MaxBudgetUsd = 1_000_000_000m;

    /// <summary>The largest <c>max_tokens</c> of a prompt.</summary>
    public const int MaxTokens = 10_000_000;

    /// <summary>The highest sampling <c>temperature</c> (OpenAI's ceiling; Anthropic's is 1).</summary>
    public const double MaxTemperature = 2;

    /// <summary>Most attempts of one task (<c>retry</c>).</summary>
    public const int MaxAttempts = 1_000;
}
