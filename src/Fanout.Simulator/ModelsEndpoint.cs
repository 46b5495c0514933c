using System.Text.Json.Nodes;
using Fanout.Providers.Simulation;
using Microsoft.AspNetCore.Http;

namespace Fanout.Simulator;

/// <summary>
/// <c>GET /v1/models</c> and <c>GET /v1/models/{id}</c> in the shape of the API that asks (Anthropic clients send
/// <c>anthropic-version</c>): the configured model names, or a few well-known ones when the configuration names none.
/// </summary>
internal static class ModelsEndpoint
{
    private static readonly string[] DefaultOpenAI = ["gpt-4o-mini", "gpt-4o", "gpt-4.1", "gpt-4.1-mini", "text-embedding-3-small", "text-embedding-3-large", "gpt-image-1"];
    private static readonly string[] DefaultAnthropic = ["claude-sonnet-4-5", "claude-opus-4-1", "claude-haiku-4-5"];

    // A fixed date: the simulator's models do not age, and answers stay the same from run to run.
    private static readonly DateTimeOffset Created = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static async Task List(HttpContext context, SimulatorState state)
    {
        var api = Wire.ApiOf(context.Request);
        if (state.Authenticate(context.Request) is null)
        {
            await Wire.Error(context, api, 401, api == Api.Anthropic ? "invalid x-api-key" : "Incorrect API key provided.");
            return;
        }

        var models = Names(state.Options.Simulation, api).Select(m => Model(m, api)).ToList();
        await HttpWrite.Json(context, 200, api == Api.Anthropic
            ? new JsonObject
            {
                ["data"] = new JsonArray([.. models]),
                ["has_more"] = false,
                ["first_id"] = models.Count > 0 ? models[0]["id"]!.DeepClone() : null,
                ["last_id"] = models.Count > 0 ? models[^1]["id"]!.DeepClone() : null,
            }
            : new JsonObject { ["object"] = "list", ["data"] = new JsonArray([.. models]) });
    }

    public static async Task Get(HttpContext context, SimulatorState state, string id)
    {
        var api = Wire.ApiOf(context.Request);
        if (state.Authenticate(context.Request) is null)
        {
            await Wire.Error(context, api, 401, api == Api.Anthropic ? "invalid x-api-key" : "Incorrect API key provided.");
            return;
        }

        if (!Wire.Serves(state.Options.Simulation, id))
        {
            await Wire.Error(context, api, 404, api == Api.Anthropic ? $"model: {id}" : $"The model '{id}' does not exist", "model", "model_not_found");
            return;
        }

        await HttpWrite.Json(context, 200, Model(id, api));
    }

    /// <summary>The configured names (without <c>*</c>), those of the asking API first choice; the defaults when none is configured.</summary>
    private static IEnumerable<string> Names(SimulationSettings settings, Api api)
    {
        var configured = settings.Models.Keys.Where(k => k != SimulationSettings.AnyModel).Order(StringComparer.Ordinal).ToList();
        if (configured.Count == 0)
        {
            return api == Api.Anthropic ? DefaultAnthropic : DefaultOpenAI;
        }

        var own = configured.Where(m => m.StartsWith("claude", StringComparison.Ordinal) == (api == Api.Anthropic)).ToList();
        return own.Count > 0 ? own : configured;
    }

    private static JsonObject Model(string id, Api api) => api == Api.Anthropic
        ? new JsonObject { ["type"] = "model", ["id"] = id, ["display_name"] = id, ["created_at"] = Created.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture) }
        : new JsonObject { ["id"] = id, ["object"] = "model", ["created"] = Created.ToUnixTimeSeconds(), ["owned_by"] = "fanout-simulator" };
}
