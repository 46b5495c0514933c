using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Fanout.Server;

/// <summary>Reading a JSON request body: 415 for another content type, 413 past the size limit, 400 for bad JSON.</summary>
internal static partial class RequestBody
{
    /// <summary>The body as a JSON object, or the problem to answer instead.</summary>
    public static async Task<(JsonElement? Body, IResult? Problem)> ReadObjectAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
        {
            return (null, Problems.Result(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "send the body as application/json"));
        }

        if (request.ContentLength > limit)
        {
            return (null, TooLarge(limit));
        }

        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, default, cancellationToken);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? (document.RootElement.Clone(), null)
                : (null, Problems.Invalid("the body must be a JSON object", [new(null, $"got {InputResolver.JsonTypeOf(document.RootElement)}")]));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(limit));
        }
        catch (JsonException e)
        {
            return (null, Problems.Invalid("the body is not valid JSON", [new(null, $"line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: invalid JSON")]));
        }
    }

    /// <summary>A plan's inputs from a JSON object, resolved against the plan (defaults, required, types, schemas),
    /// or the 400 listing every problem.</summary>
    public static (JsonElement? Inputs, IResult? Problem) ResolveInputs(ServerPlan plan, JsonElement given)
    {
        var values = given.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
        try
        {
            return (InputResolver.Resolve(plan.Graph.Plan, values), null);
        }
        catch (PlanException e)
        {
            return (null, Problems.Invalid($"the inputs do not fit plan '{plan.Name}'",
                e.Diagnostics.Select(d => new Problems.FieldError(FieldOf(d.Message), d.Message))));
        }
    }

    private static IResult TooLarge(long limit) =>
        Problems.Result(StatusCodes.Status413PayloadTooLarge, "Payload too large", $"the body may be at most {limit} bytes");

    /// <summary>The input a resolver message concerns: the first name it quotes (its messages read "input 'x' …").</summary>
    private static string? FieldOf(string message) => Quoted().Match(message) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex("'([^']+)'")]
    private static partial Regex Quoted();
}
