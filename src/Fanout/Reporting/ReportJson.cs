using System.Text.Json.Serialization;

namespace Fanout;

/// <summary>Source-generated serialization metadata for run.json and the run's events (as the journal stores them):
/// no reflection on the paths every run takes. Its options mirror <see cref="RunReport.JsonOptions"/>, which chains it
/// first.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(RunReport))]
[JsonSerializable(typeof(RunStarted))]
[JsonSerializable(typeof(TaskStateChanged))]
[JsonSerializable(typeof(TaskRetrying))]
[JsonSerializable(typeof(FanoutExpanded))]
[JsonSerializable(typeof(RunFinished))]
internal sealed partial class ReportJson : JsonSerializerContext;
