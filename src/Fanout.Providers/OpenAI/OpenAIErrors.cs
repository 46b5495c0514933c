using System.ClientModel;
using Fanout.Providers.Pools;

namespace Fanout.Providers.OpenAI;

/// <summary>What the OpenAI SDK's failures mean for a task (see <see cref="ProviderErrors"/>); shared by chat and images.</summary>
internal static class OpenAIErrors
{
    private const string Provider = "OpenAI";

    /// <summary>The task failure <paramref name="e"/> stands for, or null when it is not the SDK's to explain.</summary>
    public static TaskFailedException? Classify(Exception e, KeyIdentity key, CancellationToken cancellationToken) => e switch
    {
        ClientResultException result => ProviderErrors.FromStatus(Provider, key, result.Status, result.GetRawResponse()?.Content?.ToString(), result.Message,
            result.GetRawResponse() is { } response ? name => response.Headers.TryGetValue(name, out var value) ? value : null : null),
        HttpRequestException => ProviderErrors.Network(Provider, key, e.Message),
        OperationCanceledException when !cancellationToken.IsCancellationRequested => ProviderErrors.TimedOut(Provider),
        _ => null,
    };

    /// <summary>Runs one SDK call outside a chat pipeline (images), turning its failures into task failures.</summary>
    public static async Task<T> Guard<T>(Func<Task<T>> call, KeyIdentity key, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (Classify(e, key, cancellationToken) is { } failure)
        {
            throw failure;
        }
    }
}
