using System.Text.Json.Serialization;

namespace MailImport.Bench;

/// <summary>The JSON the tool prints: camelCase, one line, for scripts/bench to read.</summary>
/// <remarks>Source-generated, so printing the report adds no reflection warm-up to the process time being measured.</remarks>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CopyReport))]
[JsonSerializable(typeof(CorpusSummary))]
[JsonSerializable(typeof(CursorReport))]
[JsonSerializable(typeof(NoopReport))]
[JsonSerializable(typeof(CursorSizeReport))]
[JsonSerializable(typeof(ScaleSeedReport))]
[JsonSerializable(typeof(ScalePollReport))]
[JsonSerializable(typeof(ScaleHistoryReport))]
[JsonSerializable(typeof(PageWatchReport))]
internal sealed partial class BenchJson : JsonSerializerContext;
