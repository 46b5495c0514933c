namespace Fanout.Providers.Config;

/// <summary>Reads a provider's <c>pricing:</c> map: <c>model: { input, output, cached_input }</c> in dollars per million tokens.</summary>
internal static class PricingConfig
{
    public static Dictionary<string, ModelPrice> Read(ConfigReader pricing)
    {
        var prices = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        foreach (var model in pricing.Keys)
        {
            var entry = pricing.Child(model);
            entry.Allow("input", "output", "cached_input");
            var input = entry.Number("input");
            var output = entry.Number("output");
            var cached = entry.Number("cached_input");
            if (input is null || output is null)
            {
                entry.Problem($"{entry.Where("")} needs input and output prices (dollars per million tokens)");
                continue;
            }

            if (input < 0 || output < 0 || cached < 0)
            {
                entry.Problem($"{entry.Where("")}: prices cannot be negative");
                continue;
            }

            prices[model] = new ModelPrice((decimal)input.Value, (decimal)output.Value, (decimal)(cached ?? input.Value));
        }

        return prices;
    }
}
