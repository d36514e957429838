using System.Text;
using System.Text.Json;
using MailImport.Core.Batches;
using MailImport.Core.Errors;
using MailImport.Core.Reports;
using MailImport.Workflow.Api;

namespace MailImport.Workflow.Tests.Api;

/// <summary>The status's lines are built and serialized once per version of what they came from, and the answer they
/// make is the one the plain serializer makes.</summary>
public sealed class StatusLinesTests
{
    private static readonly JsonSerializerOptions Compact = new(ApiAnswers.Json) { WriteIndented = false };

    private static MailboxOutcome Outcome(long copied) => new(
        7, "anna@old.example", "anna", MailboxStatus.Running, null, null,
        new MailboxCounters(MessagesTotal: 10, MessagesCopied: copied, BytesTotal: 1000, BytesCopied: copied * 100),
        TimeSpan.FromSeconds(3), []);

    [Fact]
    public void TheSameOutcome_IsBuiltAndSerializedOnce_AndItsNextVersionAfresh()
    {
        var outcome = Outcome(2);
        var line = StatusLines.ReportOf(outcome);
        Assert.Same(line, StatusLines.ReportOf(outcome));
        var json = StatusLines.JsonOf(line, Compact);
        Assert.Same(json, StatusLines.JsonOf(line, Compact));

        // The next write of the progress document is a new object: its line is made again, with its own counters.
        var next = StatusLines.ReportOf(outcome with { Counters = outcome.Counters with { MessagesCopied = 5 } });
        Assert.NotSame(line, next);
        Assert.Equal(5, JsonDocument.Parse(StatusLines.JsonOf(next, Compact)).RootElement.GetProperty("counters").GetProperty("messagesCopied").GetInt64());
        Assert.Equal(2, JsonDocument.Parse(json).RootElement.GetProperty("counters").GetProperty("messagesCopied").GetInt64());
    }

    [Fact]
    public void APendingLine_IsBuiltOncePerManifestEntry()
    {
        var entry = new ManifestEntry(3, "bob@old.example", "bob");
        var pending = StatusLines.PendingOf(entry);
        Assert.Same(pending, StatusLines.PendingOf(entry));
        Assert.Equal(MailboxStatus.Pending, pending.Status);
        Assert.NotSame(pending, StatusLines.PendingOf(entry with { }));
    }

    [Fact]
    public void ALine_IsSerializedInTheOptionsItIsAskedIn()
    {
        var line = StatusLines.ReportOf(Outcome(1));
        var compact = Encoding.UTF8.GetString(StatusLines.JsonOf(line, Compact));
        var indented = Encoding.UTF8.GetString(StatusLines.JsonOf(line, ApiAnswers.Json));
        Assert.DoesNotContain('\n', compact);
        Assert.Contains('\n', indented);
        Assert.Equal(JsonSerializer.Serialize(line, ApiAnswers.Json), indented);
    }

    [Fact]
    public void TheStatus_WritesItsLinesAsThePlainSerializerWritesThem_AndReadsThemBack()
    {
        var failed = new MailboxReport(2, "carl@old.example", "carl", MailboxStatus.Failed, ErrorCode.SourceAuthFailed, "Refused.",
            "Check the password.", MailboxCounters.Zero, TimeSpan.Zero, [new MessageFailure("INBOX", 4, null, 10, ErrorCode.SourceAuthFailed, "no")]);
        var paused = StatusLines.ReportOf(Outcome(3) with { Status = MailboxStatus.Paused, PausedUntil = DateTimeOffset.UnixEpoch });
        IReadOnlyList<MailboxReport> lines = [StatusLines.PendingOf(new ManifestEntry(1, "a@old.example", "a")), failed, paused];
        var status = new BatchStatus("b1", "example.org", false, [new BatchRunRecord("b1-r1", RunMode.Full, DateTimeOffset.UnixEpoch)], "Running", lines, MailboxCounters.Zero);

        var written = JsonSerializer.Serialize(status, Compact);
        var mailboxes = JsonDocument.Parse(written).RootElement.GetProperty("mailboxes").GetRawText();
        Assert.Equal(JsonSerializer.Serialize(lines.ToList(), Compact), mailboxes);
        Assert.Equal(lines, JsonSerializer.Deserialize<BatchStatus>(written, Compact)!.Mailboxes, new ReportLineComparer());
    }

    private sealed class ReportLineComparer : IEqualityComparer<MailboxReport>
    {
        public bool Equals(MailboxReport? x, MailboxReport? y) => JsonSerializer.Serialize(x, Compact) == JsonSerializer.Serialize(y, Compact);

        public int GetHashCode(MailboxReport obj) => obj.LineNumber;
    }
}
