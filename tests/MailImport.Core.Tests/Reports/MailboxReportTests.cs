using System.Text;
using MailImport.Core.Credentials;
using MailImport.Core.Errors;
using MailImport.Core.Reports;

namespace MailImport.Core.Tests.Reports;

public class MailboxReportTests
{
    [Fact]
    public void ForInvalidLines_OneReportLinePerLine_WithEveryProblemAndTheFirstFix()
    {
        var parsed = CredentialFile.Parse(Encoding.UTF8.GetBytes("good Secret12\nivan_p abc\nbroken\n"));

        var lines = MailboxReport.ForInvalidLines(parsed);

        Assert.Equal([2, 3], lines.Select(l => l.LineNumber));
        var first = lines[0];
        Assert.Equal(MailboxStatus.Invalid, first.Status);
        Assert.Equal("ivan_p", first.SourceLogin);
        Assert.Equal("ivan_p", first.DestinationUsername);
        Assert.Equal(ErrorCode.UsernameInvalidCharacter, first.Code);
        Assert.Contains("shorter than 6", first.Message, StringComparison.Ordinal);
        Assert.Equal(ErrorCatalog.Get(ErrorCode.UsernameInvalidCharacter).Fix, first.Fix);
        Assert.Equal(ErrorCode.LineFieldCount, lines[1].Code);
        Assert.Equal("broken", lines[1].SourceLogin);
        Assert.Equal("", lines[1].DestinationUsername);
    }

    [Fact]
    public void Totals_AddUpEveryMailbox()
    {
        var a = Line(1, new MailboxCounters(10, 8, 2, 1000, 800, 3, NotExact: 1), MailboxStatus.Partial);
        var b = Line(2, new MailboxCounters(5, 5, 0, 500, 500, 1, NotExact: 2, ArrivalDates: new(3, 1, 1)), MailboxStatus.Done);
        var c = Line(3, new MailboxCounters(1, 1, 0, 10, 10, 1, ArrivalDates: new(1, 0, 0)), MailboxStatus.Done);
        var d = Line(4, new MailboxCounters(GmailLabels: new(22, 5, 10, 1, 2, 1, [new GmailFolderCount("INBOX", 12)])), MailboxStatus.Done);
        var e = Line(5, new MailboxCounters(GmailLabels: new(3, 1, 0, 2, 0, 4)), MailboxStatus.Done);
        var report = new BatchReport("b1", "example.org", false, DateTimeOffset.UnixEpoch, null, [a, b, c, d, e]);

        Assert.Equal(new MailboxCounters(16, 14, 2, 1510, 1310, 5, NotExact: 3, ArrivalDates: new(4, 1, 1), GmailLabels: new(25, 6, 10, 3, 2, 5)), report.Totals);
        Assert.Equal(1, report.CountByStatus[MailboxStatus.Partial]);
        Assert.Equal(4, report.CountByStatus[MailboxStatus.Done]);
    }

    private static MailboxReport Line(int line, MailboxCounters counters, MailboxStatus status) =>
        new(line, $"u{line}", $"u{line}", status, null, null, null, counters, TimeSpan.Zero, []);
}
