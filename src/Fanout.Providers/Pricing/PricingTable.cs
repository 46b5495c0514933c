using System.Collections.Immutable;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Fanout.Providers.Pricing;

/// <summary>
/// Model prices in US dollars per million tokens. The built-in table ships as data (<c>pricing.json</c>, dated);
/// a provider's <c>pricing:</c> entries override it. A dated version of a model (<c>gpt-4o-2024-08-06</c>,
/// <c>claude-sonnet-4-20250514</c>, <c>…-latest</c>) takes the price of its base name; other unknown models have no price.
/// </summary>
public sealed partial class PricingTable
{
    private static readonly Lazy<PricingTable> BuiltInTable = new(LoadBuiltIn);

    private readonly ImmutableDictionary<string, ModelPrice> _prices;

    /// <summary>A table of <paramref name="prices"/>.</summary>
    public PricingTable(IReadOnlyDictionary<string, ModelPrice> prices, string? asOf = null)
    {
        _prices = prices.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);
        AsOf = asOf;
    }

    /// <summary>The table shipped with Fanout.</summary>
    public static PricingTable BuiltIn => BuiltInTable.Value;

    /// <summary>The share of the online price the providers' Batch APIs bill (<c>batch_multiplier</c> of the built-in table).</summary>
    internal static decimal DefaultBatchMultiplier => BuiltIn._prices.Values.FirstOrDefault()?.BatchMultiplier ?? 1m;

    /// <summary>The date the prices were taken, when known.</summary>
    public string? AsOf { get; }

    /// <summary>The models priced.</summary>
    public IEnumerable<string> Models => _prices.Keys;

    /// <summary>The price of <paramref name="model"/>, or null when unknown.</summary>
    public ModelPrice? Find(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (_prices.TryGetValue(model, out var price))
        {
            return price;
        }

        var match = VersionSuffix().Match(model);
        return match.Success && _prices.TryGetValue(model[..match.Index], out var basePrice) ? basePrice : null;
    }

    /// <summary>This table with <paramref name="overrides"/> taking precedence.</summary>
    public PricingTable With(IReadOnlyDictionary<string, ModelPrice> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        return overrides.Count == 0 ? this : new(_prices.SetItems(overrides), AsOf);
    }

    private static PricingTable LoadBuiltIn()
    {
        using var stream = typeof(PricingTable).Assembly.GetManifestResourceStream("Fanout.Providers.pricing.json")
            ?? throw new InvalidOperationException("the pricing table is missing from the assembly");
        using var document = JsonDocument.Parse(stream);
        var prices = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        var batch = document.RootElement.TryGetProperty("batch_multiplier", out var multiplier) ? multiplier.GetDecimal() : 1m;
        foreach (var entry in document.RootElement.GetProperty("models").EnumerateObject())
        {
            prices[entry.Name] = new ModelPrice(
                entry.Value.GetProperty("input").GetDecimal(),
                entry.Value.GetProperty("output").GetDecimal(),
                entry.Value.TryGetProperty("cached_input", out var cached) ? cached.GetDecimal() : entry.Value.GetProperty("input").GetDecimal())
            {
                BatchMultiplier = entry.Value.TryGetProperty("batch", out var own) ? own.GetDecimal() : batch,
            };
        }

        return new(prices, document.RootElement.TryGetProperty("as_of", out var asOf) ? asOf.GetString() : null);
    }

    // -2024-08-06, -20250514, -latest, -0613
    [GeneratedRegex(@"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|latest)$")]
    private static partial Regex VersionSuffix();
}
