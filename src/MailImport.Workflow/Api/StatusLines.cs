using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using MailImport.Core.Batches;
using MailImport.Core.Reports;

namespace MailImport.Workflow.Api;

/// <summary>A status's lines, each built and serialized once for as long as what it came from is the version the status
/// reads. A poll during a 5,000-line run changes the few lines its running mailboxes wrote; the others are the same
/// objects as in the last poll (the progress documents, manifest and report are kept while their ETags hold), so their
/// report lines and JSON are reused instead of made again: the answer's cost is the changed lines and a copy of the
/// rest. The tables hold their entries weakly, so a line goes when its document's version is dropped
/// (https://learn.microsoft.com/dotnet/api/system.runtime.compilerservices.conditionalweaktable-2).</summary>
internal static class StatusLines
{
    private static readonly ConditionalWeakTable<MailboxOutcome, MailboxReport> Reports = new();
    private static readonly ConditionalWeakTable<ManifestEntry, MailboxReport> Pending = new();
    private static readonly ConditionalWeakTable<JsonSerializerOptions, ConditionalWeakTable<MailboxReport, byte[]>> Serialized = new();

    /// <summary>The report line of a mailbox's live outcome.</summary>
    public static MailboxReport ReportOf(MailboxOutcome outcome) => Reports.GetValue(outcome, o => o.ToReport());

    /// <summary>The report line of a mailbox no step has reached yet.</summary>
    public static MailboxReport PendingOf(ManifestEntry entry) => Pending.GetValue(entry, e => e.PendingReport());

    /// <summary>A line's JSON in <paramref name="options"/>.</summary>
    public static byte[] JsonOf(MailboxReport line, JsonSerializerOptions options) =>
        Serialized.GetValue(options, _ => new()).GetValue(line, l => JsonSerializer.SerializeToUtf8Bytes(l, options));
}

/// <summary>Writes a status's lines from <see cref="StatusLines"/>; reads them as any list of report lines.</summary>
internal sealed class StatusLinesJsonConverter : JsonConverter<IReadOnlyList<MailboxReport>>
{
    public override IReadOnlyList<MailboxReport>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JsonSerializer.Deserialize<List<MailboxReport>>(ref reader, options);

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<MailboxReport> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var line in value)
        {
            // Each line's bytes came from JsonSerializer with these very options: valid JSON, so not checked again.
            writer.WriteRawValue(StatusLines.JsonOf(line, options), skipInputValidation: true);
        }

        writer.WriteEndArray();
    }
}
