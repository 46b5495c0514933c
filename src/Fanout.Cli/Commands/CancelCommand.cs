using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;

namespace Fanout.Cli.Commands;

/// <summary><c>fanout cancel RUN [--server URL]</c>: asks a <c>fanout serve</c> to cancel one of its runs.</summary>
internal static class CancelCommand
{
    /// <summary>The token sent to the server, if it needs one.</summary>
    public const string TokenVariable = "FANOUT_TOKEN";

    public static Command Create(CliEnvironment env)
    {
        var run = new Argument<string>("RUN") { Description = "The run id" };
        var server = new Option<string>("--server") { Description = $"The server's base URL (token from {TokenVariable})", DefaultValueFactory = _ => "http://127.0.0.1:5080", HelpName = "URL" };
        var command = new Command("cancel", "Cancel a run a 'fanout serve' is driving: exit 0 cancelled, 1 it had already ended, 2 no such run or no server") { run, server };
        command.SetAction((parse, cancellationToken) => ExecuteAsync(env, parse.GetValue(run)!, parse.GetValue(server)!, cancellationToken));
        return command;
    }

    public static async Task<int> ExecuteAsync(CliEnvironment env, string runId, string server, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            await env.Error.WriteLineAsync($"error: --server must be an http(s) URL, got '{server}'");
            return ExitCodes.Invalid;
        }

        using var client = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, $"runs/{Uri.EscapeDataString(runId)}/cancel");
        if (env.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } token)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            await env.Error.WriteLineAsync($"error: cannot reach {baseUri}: {e.Message}");
            return ExitCodes.Invalid;
        }

        using (response)
        {
            switch (response.StatusCode)
            {
                case HttpStatusCode.Accepted:
                    await env.Out.WriteLineAsync($"cancelling {runId}");
                    return ExitCodes.Success;
                case HttpStatusCode.Conflict:
                    await env.Error.WriteLineAsync($"run {runId} has already ended");
                    return ExitCodes.TaskFailed;
                case HttpStatusCode.Unauthorized:
                    await env.Error.WriteLineAsync($"error: the server wants a token: set {TokenVariable}");
                    return ExitCodes.Invalid;
                case HttpStatusCode.NotFound:
                    await env.Error.WriteLineAsync($"error: the server has no run '{runId}'");
                    return ExitCodes.Invalid;
                default:
                    await env.Error.WriteLineAsync($"error: the server answered {(int)response.StatusCode} {response.ReasonPhrase}");
                    return ExitCodes.Invalid;
            }
        }
    }
}
