using Fanout.Providers.Pricing;

namespace Fanout.Providers.Config;

/// <summary>Reads a provider's <c>pricing:</c> map: <c>model: { input, output, cached_input, batch }</c> in dollars per million tokens.</summary>
internal static class PricingConfig
{
    public static Dictionary<string, ModelPrice> Read(ConfigReader pricing)
    {
        var prices = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        foreach (var model in pricing.Keys)
        {
            var entry = pricing.Child(model);
            entry.Allow("input", "output", "cached_input", "batch");
            var input = entry.Number("input");
            var output = entry.Number("output");
            var cached = entry.Number("cached_input");
            var batch = entry.Number("batch");
            if (input is null || output is null)
            {
                entry.Problem($"{entry.Where("")} needs input and output prices (dollars per million tokens)");
                continue;
            }

            if (input < 0 || output < 0 || cached < 0 || batch is < 0 or > 1)
            {
                entry.Problem($"{entry.Where("")}: prices cannot be negative (and batch is a share of the online price, 0 to 1)");
                continue;
            }

            prices[model] = new ModelPrice((decimal)input.Value, (decimal)output.Value, (decimal)(cached ?? input.Value))
            {
                // The share of the online price a batch bills; the providers' own discount unless the plan says otherwise.
                BatchMultiplier = batch is { } b ? (decimal)b : PricingTable.DefaultBatchMultiplier,
            };
        }

        return prices;
    }
}
