using MailImport.Core.Batches;
using MailImport.Core.Reports;

namespace MailImport.Core.Tests.Batches;

public sealed class ManifestEntryTests
{
    [Fact]
    public void PendingReport_IsPendingWithNothingCountedAndNoError()
    {
        var line = new ManifestEntry(4, "ivan@old.example", "ivan").PendingReport();

        Assert.Equal((4, "ivan@old.example", "ivan", MailboxStatus.Pending), (line.LineNumber, line.SourceLogin, line.DestinationUsername, line.Status));
        Assert.True(line is { Code: null, Message: null, Fix: null });
        Assert.Equal((MailboxCounters.Zero, TimeSpan.Zero), (line.Counters, line.Duration));
        Assert.Empty(line.FailedMessages);
    }
}
