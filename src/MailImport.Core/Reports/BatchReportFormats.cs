using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MailImport.Core.Reports;

/// <summary>Writes a batch report as the JSON and CSV files an admin downloads.</summary>
public static class BatchReportFormats
{
    /// <summary>The JSON shape of reports and API answers: camelCase, enums as names, no nulls.</summary>
    public static JsonSerializerOptions Json { get; } = CreateJson();

    private static readonly string[] CsvColumns =
    [
        "line", "source_login", "destination_username", "status", "error_code", "message", "fix",
        "messages_total", "messages_copied", "messages_failed", "bytes_total", "bytes_copied", "duration_s", "failed_messages",
        // Added after the first columns, so a sheet that reads those by position still does.
        "folders", "messages_not_exact", "not_exact_messages", "dates_from_date_header", "dates_from_received", "dates_from_import_time",
        "already_at_destination", "run_id", "run_messages_copied", "run_bytes_copied", "run_flags_updated",
        "run_already_at_destination", "run_not_exact", "run_messages_failed", "run_duration_s",
        "run_folders_created",
        "gmail_labelled", "gmail_labelless", "gmail_labels_as_keywords", "gmail_labels_not_kept", "gmail_spam_not_copied", "gmail_trash_not_copied",
    ];

    /// <summary>The report as indented UTF-8 JSON.</summary>
    public static byte[] ToJson(BatchReport report) => JsonSerializer.SerializeToUtf8Bytes(report, Json);

    /// <summary>The report as CSV (RFC 4180, UTF-8 with BOM so spreadsheet programs read Cyrillic correctly), one row per mailbox.</summary>
    public static byte[] ToCsv(BatchReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var csv = new StringBuilder();
        csv.AppendJoin(',', CsvColumns).Append("\r\n");
        foreach (var m in report.Mailboxes)
        {
            string[] cells =
            [
                m.LineNumber.ToString(CultureInfo.InvariantCulture), m.SourceLogin, m.DestinationUsername, m.Status.ToString(),
                m.Code?.ToString() ?? "", m.Message ?? "", m.Fix ?? "",
                Number(m.Counters.MessagesTotal), Number(m.Counters.MessagesCopied), Number(m.Counters.MessagesFailed),
                Number(m.Counters.BytesTotal), Number(m.Counters.BytesCopied),
                m.Duration.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture),
                string.Join("; ", m.FailedMessages.Select(f => $"{f.Folder} {Key(f.Uid, f.Uidl)}: {f.Code} {f.Reason}")),
                string.Join("; ", (m.Folders ?? []).Select(f => f.Outcome == FolderOutcome.Renamed
                    ? $"{f.SourceFolder} -> {f.DestinationFolder}: {f.Outcome} {f.Reason}"
                    : $"{f.SourceFolder}: {f.Outcome} {f.Code} {f.Reason}")),
                Number(m.Counters.NotExact),
                string.Join("; ", (m.NotExactMessages ?? []).Select(n => $"{n.Folder} {Key(n.Uid, n.Uidl)} ({Number(n.Size)} bytes): {n.Reason}")),
                // Empty, not 0, for an IMAP source: its INTERNALDATE is kept, no date was read from headers.
                m.Counters.ArrivalDates is { } dates ? Number(dates.DateHeader) : "",
                m.Counters.ArrivalDates is { } received ? Number(received.Received) : "",
                m.Counters.ArrivalDates is { } import ? Number(import.ImportTime) : "",
                Number(m.Counters.AlreadyAtDestination), m.LastRun?.RunId ?? "",
                .. RunCells(m.LastRun),
                .. GmailCells(m.Counters.GmailLabels),
            ];
            csv.AppendJoin(',', cells.Select(Cell)).Append("\r\n");
        }

        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(csv.ToString())];
    }

    /// <summary>The last run's cells of a line; empty for a line no run has taken.</summary>
    private static string[] RunCells(RunFigures? run) => run is null
        ? ["", "", "", "", "", "", "", ""]
        : [Number(run.MessagesCopied), Number(run.BytesCopied), Number(run.FlagsUpdated), Number(run.AlreadyAtDestination),
            Number(run.NotExact), Number(run.MessagesFailed), run.Duration.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture), Number(run.FoldersCreated)];

    /// <summary>A Gmail source's label counts; empty, not 0, for any other source.</summary>
    private static string[] GmailCells(GmailLabelCounts? gmail) => gmail is null
        ? ["", "", "", "", "", ""]
        : [Number(gmail.Labelled), Number(gmail.Labelless), Number(gmail.LabelsAsKeywords), Number(gmail.LabelsNotKept), Number(gmail.SpamNotCopied), Number(gmail.TrashNotCopied)];

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string? Key(uint? uid, string? uidl) => uid is { } u ? "UID " + u.ToString(CultureInfo.InvariantCulture) : uidl;

    /// <summary>Quotes a cell, and defuses text a spreadsheet would run as a formula (OWASP CSV injection):
    /// logins and server messages come from outside.</summary>
    public static string Cell(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
        {
            value = "'" + value;
        }

        return value.AsSpan().IndexOfAny(",\"\r\n") >= 0 || value.StartsWith('\'')
            ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;
    }

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };
        options.Converters.Add(new JsonStringEnumConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
