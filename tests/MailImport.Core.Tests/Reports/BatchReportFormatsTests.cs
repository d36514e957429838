using System.Text;
using System.Text.Json;
using MailImport.Core.Errors;
using MailImport.Core.Reports;

namespace MailImport.Core.Tests.Reports;

public class BatchReportFormatsTests
{
    private static readonly BatchReport Report = new("b1", "example.org", false, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddMinutes(3),
    [
        new(1, "ivan@old.example", "ivan", MailboxStatus.Partial, ErrorCode.MessageTooBig, "1 message too big, \"big\" one.", "Forward it.",
            new MailboxCounters(10, 9, 1, 1000, 900, 2, 3), TimeSpan.FromSeconds(12.5),
            [new MessageFailure("INBOX", 7, null, 30_000_000, ErrorCode.MessageTooBig, "over APPENDLIMIT")],
            [
                new FolderNote("Projects.2019", "Projects_2019", FolderOutcome.Renamed, null, "'.' is the destination's separator."),
                new FolderNote("Old", null, FolderOutcome.NotCopied, ErrorCode.SourceFolderUnavailable, "SELECT refused."),
            ],
            LastRun: new RunFigures("b1-r2", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(4), 2, 200, 5, 1, 0, 1, FoldersCreated: 3)),
        new(3, "olga@old.example", "olga", MailboxStatus.Done, null, null, null,
            new MailboxCounters(4, 4, 0, 400, 400, 1, NotExact: 2, ArrivalDates: new ArrivalDateCounts(1, 2, 1)), TimeSpan.FromSeconds(1), [],
            NotExactMessages: [new NotExactMessage("INBOX", null, "u-1", 120, "why one"), new NotExactMessage("INBOX", null, "u-2", 130, "why two")]),
        new(2, "=HYPERLINK(\"http://x\")", "", MailboxStatus.Invalid, ErrorCode.UsernameInvalidCharacter, "Bad.", "Fix.",
            MailboxCounters.Zero, TimeSpan.Zero, []),
    ]);

    [Fact]
    public void ToCsv_OneRowPerMailbox_QuotedAndFormulaSafe()
    {
        var bytes = BatchReportFormats.ToCsv(Report);

        Assert.Equal(Encoding.UTF8.GetPreamble(), bytes[..3]);
        var lines = Encoding.UTF8.GetString(bytes[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("line,source_login,destination_username,status,error_code", lines[0], StringComparison.Ordinal);
        Assert.Contains(",failed_messages,folders,messages_not_exact,not_exact_messages,dates_from_date_header,dates_from_received,dates_from_import_time,already_at_destination,run_id,", lines[0], StringComparison.Ordinal);
        Assert.Equal("1,ivan@old.example,ivan,Partial,MessageTooBig,\"1 message too big, \"\"big\"\" one.\",Forward it.,10,9,1,1000,900,12.5,INBOX UID 7: MessageTooBig over APPENDLIMIT,"
            + "Projects.2019 -> Projects_2019: Renamed '.' is the destination's separator.; Old: NotCopied SourceFolderUnavailable SELECT refused.,0,,,,,3,b1-r2,2,200,5,1,0,1,4,3,,,,,,", lines[1]);
        Assert.Equal("3,olga@old.example,olga,Done,,,,4,4,0,400,400,1,,,2,INBOX u-1 (120 bytes): why one; INBOX u-2 (130 bytes): why two,1,2,1,0,,,,,,,,,,,,,,,", lines[2]);
        Assert.StartsWith("2,\"'=HYPERLINK(\"\"http://x\"\")\",,Invalid,", lines[3], StringComparison.Ordinal);
        Assert.EndsWith(",0,,,,,,,,,,,,,,,", lines[3], StringComparison.Ordinal);
        Assert.Equal(lines[0].Split(',').Length, lines[3].Split(',').Length);
    }

    [Fact]
    public void ToCsv_GmailSource_LabelCountsInTheLastColumns()
    {
        var gmail = new GmailLabelCounts(22, 5, 10, 1, 2, 1, [new GmailFolderCount("INBOX", 12)]);
        var report = Report with { Mailboxes = [Report.Mailboxes[1] with { Counters = Report.Mailboxes[1].Counters with { GmailLabels = gmail } }] };

        var lines = Encoding.UTF8.GetString(BatchReportFormats.ToCsv(report)[3..]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.EndsWith(",run_folders_created,gmail_labelled,gmail_labelless,gmail_labels_as_keywords,gmail_labels_not_kept,gmail_spam_not_copied,gmail_trash_not_copied", lines[0], StringComparison.Ordinal);
        Assert.EndsWith(",22,5,10,1,2,1", lines[1], StringComparison.Ordinal);
        Assert.Equal(lines[0].Split(',').Length, lines[1].Split(',').Length);
    }

    [Fact]
    public void RunSummaryOf_AddsUpTheLinesTheRunTook_AndLeavesTheOthersOut()
    {
        MailboxReport Line(int number, MailboxStatus status, RunFigures? run) =>
            new(number, $"u{number}", $"u{number}", status, null, null, null, MailboxCounters.Zero, TimeSpan.Zero, [], LastRun: run);
        var start = DateTimeOffset.UnixEpoch;
        RunFigures Figures(string runId, long copied) => new(runId, start, start.AddSeconds(1), copied, copied * 100, 1, 2, 3, 4);

        var summary = RunSummary.Of("r2", MailImport.Core.Batches.RunMode.Incremental, start, start.AddMinutes(2),
            [Line(1, MailboxStatus.Done, Figures("r2", 5)), Line(2, MailboxStatus.Failed, Figures("r2", 1)), Line(3, MailboxStatus.Done, Figures("r1", 50)), Line(4, MailboxStatus.Invalid, null)]);

        Assert.Equal(new RunSummary("r2", MailImport.Core.Batches.RunMode.Incremental, start, start.AddMinutes(2), 2, 1, 1, 6, 600, 2, 4, 6, 8), summary);
        Assert.Equal(TimeSpan.FromMinutes(2), summary.Duration);
    }

    [Fact]
    public void RunTallyFigures_AreTheCountersSinceTheRunBegan()
    {
        var tally = new MailImport.Core.Batches.RunTally(CopiedBefore: 10, BytesBefore: 1000, AlreadyBefore: 4, NotExactBefore: 1, FlagsUpdated: 2);
        var start = DateTimeOffset.UnixEpoch;

        var figures = tally.Figures("r2", start, start.AddSeconds(9), new MailboxCounters(20, 13, 1, 2000, 1300, 3, 5, NotExact: 2));

        Assert.Equal(new RunFigures("r2", start, start.AddSeconds(9), 3, 300, 2, 1, 1, 1), figures);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("-1", "\"'-1\"")]
    [InlineData("+x", "\"'+x\"")]
    [InlineData("@x", "\"'@x\"")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    public void Cell_QuotesAndDefuses(string value, string expected)
    {
        Assert.Equal(expected, BatchReportFormats.Cell(value));
    }

    [Fact]
    public void ToJson_CamelCaseWithEnumNamesAndFailedMessages()
    {
        using var document = JsonDocument.Parse(BatchReportFormats.ToJson(Report));
        var first = document.RootElement.GetProperty("mailboxes")[0];

        Assert.Equal("b1", document.RootElement.GetProperty("batchId").GetString());
        Assert.Equal("Partial", first.GetProperty("status").GetString());
        Assert.Equal("MessageTooBig", first.GetProperty("code").GetString());
        Assert.Equal(9, first.GetProperty("counters").GetProperty("messagesCopied").GetInt64());
        Assert.Equal("over APPENDLIMIT", first.GetProperty("failedMessages")[0].GetProperty("reason").GetString());
        Assert.Equal(14, document.RootElement.GetProperty("totals").GetProperty("messagesTotal").GetInt64());
        var renamed = first.GetProperty("folders")[0];
        Assert.Equal(("Projects.2019", "Projects_2019", "Renamed"),
            (renamed.GetProperty("sourceFolder").GetString(), renamed.GetProperty("destinationFolder").GetString(), renamed.GetProperty("outcome").GetString()));
        Assert.False(renamed.TryGetProperty("code", out _));
        Assert.Equal("SourceFolderUnavailable", first.GetProperty("folders")[1].GetProperty("code").GetString());
        // A mailbox without folder notes has no "folders" at all.
        Assert.False(document.RootElement.GetProperty("mailboxes")[1].TryGetProperty("folders", out _));
        Assert.Equal(0, first.GetProperty("counters").GetProperty("notExact").GetInt64());
        Assert.False(first.TryGetProperty("notExactMessages", out _));
        Assert.False(first.GetProperty("counters").TryGetProperty("arrivalDates", out _));
        var pop3 = document.RootElement.GetProperty("mailboxes")[1];
        Assert.Equal(2, pop3.GetProperty("counters").GetProperty("notExact").GetInt64());
        Assert.Equal("u-2", pop3.GetProperty("notExactMessages")[1].GetProperty("uidl").GetString());
        Assert.Equal(120, pop3.GetProperty("notExactMessages")[0].GetProperty("size").GetInt64());
        Assert.Equal("why one", pop3.GetProperty("notExactMessages")[0].GetProperty("reason").GetString());
        var dates = pop3.GetProperty("counters").GetProperty("arrivalDates");
        Assert.Equal((1, 2, 1), (dates.GetProperty("dateHeader").GetInt64(), dates.GetProperty("received").GetInt64(), dates.GetProperty("importTime").GetInt64()));
        Assert.Equal(2, document.RootElement.GetProperty("totals").GetProperty("notExact").GetInt64());
        Assert.Equal(2, document.RootElement.GetProperty("totals").GetProperty("arrivalDates").GetProperty("received").GetInt64());
    }
}
