using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Fanout.Server;

/// <summary>RFC 7807 problem details: every error the server answers, with its own words and never an exception's.</summary>
internal static class Problems
{
    public static IResult Result(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail, statusCode: status, title: title, extensions: extensions);

    public static Task Write(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        return Result(status, title, detail).ExecuteAsync(context);
    }

    /// <summary>A bare status (404 for an unknown route, 405…) as a problem.</summary>
    public static Task WriteStatus(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var title = ReasonPhrases.GetReasonPhrase(status);
        return Write(context, status, title, status == StatusCodes.Status404NotFound ? "no such resource" : title.ToLowerInvariant());
    }

    public static IResult NotFound(string what) => Result(StatusCodes.Status404NotFound, "Not found", what);

    /// <summary>400 listing every problem: each with the input it concerns (when one does) and the message.</summary>
    public static IResult Invalid(string detail, IEnumerable<FieldError> errors) =>
        Result(StatusCodes.Status400BadRequest, "Invalid request", detail, new Dictionary<string, object?> { ["errors"] = errors.ToList() });

    /// <summary>One problem with a request.</summary>
    public sealed record FieldError(string? Field, string Message);
}
