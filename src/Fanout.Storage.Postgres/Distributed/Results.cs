using System.Text.Json;
using Fanout.Storage;

namespace Fanout.Storage.Postgres.Distributed;

/// <summary>Reading stored results (<see cref="StoredResult"/>) from nullable columns.</summary>
internal static class Results
{
    public static TaskResult? Read(string? json) => json is null ? null : StoredResult.Deserialize(json);

    public static JsonElement? Output(string? json) => Read(json)?.Output;
}
