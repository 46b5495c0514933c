using System.Text.Json.Serialization;

namespace Fanout.Storage;

/// <summary>Source-generated metadata for a <see cref="TaskResult"/> as the journal and the cache store it
/// (see <see cref="StoredResult"/>).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault)]
[JsonSerializable(typeof(TaskResult))]
internal sealed partial class StoredResultJson : JsonSerializerContext;
