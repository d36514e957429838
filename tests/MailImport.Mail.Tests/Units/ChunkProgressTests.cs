using MailImport.Core.Errors;
using MailImport.Mail.Errors;
using MailImport.Mail.Sync;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailImport.Mail.Tests.Units;

public class ChunkProgressTests
{
    private static readonly MailFailure Refused = new(ErrorCode.MessageTooBig, "too big", false);

    [Fact]
    public void Fail_ImapAndPop3Keys_RecordTheUidOrTheUidl()
    {
        var cursor = new MailboxCursor();
        var progress = new ChunkProgress(cursor, ChunkBudget.Default, 100, NullLogger.Instance);

        progress.Fail("Sent", SourceKey.OfUid(42), 1_000, Refused);
        progress.Fail("INBOX", SourceKey.OfUidl("abc"), 2_000, Refused);

        Assert.Collection(cursor.Failures,
            f => Assert.Equal(("Sent", 42u, (string?)null, 1_000L, ErrorCode.MessageTooBig, "too big"), (f.Folder, f.Uid!.Value, f.Uidl, f.Size!.Value, f.Code, f.Reason)),
            f => Assert.Equal(("INBOX", (uint?)null, "abc", 2_000L), (f.Folder, f.Uid, f.Uidl, f.Size!.Value)));
        Assert.Equal(2, progress.FailedThisChunk);
    }

    [Fact]
    public void NotExact_MoreThanTheListHolds_CountsEveryOneAndListsTheFirstHundred()
    {
        var cursor = new MailboxCursor();
        var progress = new ChunkProgress(cursor, ChunkBudget.Default, 100, NullLogger.Instance);

        for (uint uid = 1; uid <= 150; uid++)
        {
            progress.NotExact("INBOX", SourceKey.OfUid(uid), 10 * uid, $"why {uid}");
        }

        var result = progress.Result(completed: true);
        Assert.Equal(150, result.NotExact);
        Assert.Equal(Core.Reports.MailboxReport.MaxNotExactListed, result.NotExactMessages.Count);
        Assert.Equal(new Core.Reports.NotExactMessage("INBOX", 1, null, 10, "why 1"), result.NotExactMessages[0]);
        Assert.Equal(100u, result.NotExactMessages[^1].Uid);
        // The list and the count live in the cursor, so they survive chunks and runs.
        var reread = MailboxCursor.FromJson(cursor.ToJson());
        Assert.Equal((150L, 100), (reread.NotExactCount, reread.NotExact.Count));
        Assert.Equal(cursor.NotExact[42], reread.NotExact[42]);
    }

    [Fact]
    public void Dated_EachSource_IsCountedApart()
    {
        var cursor = new MailboxCursor();
        var progress = new ChunkProgress(cursor, ChunkBudget.Default, 100, NullLogger.Instance);
        Assert.Null(progress.Result(completed: true).ArrivalDates);

        progress.Dated(ArrivalDateSource.Date);
        progress.Dated(ArrivalDateSource.Date);
        progress.Dated(ArrivalDateSource.Received);
        progress.Dated(ArrivalDateSource.ImportTime);

        Assert.Equal(new Core.Reports.ArrivalDateCounts(2, 1, 1), progress.Result(completed: true).ArrivalDates);
        Assert.Equal(new Core.Reports.ArrivalDateCounts(2, 1, 1), new ChunkProgress(MailboxCursor.FromJson(cursor.ToJson()), ChunkBudget.Default, 100, NullLogger.Instance).Result(true).ArrivalDates);
    }

    [Fact]
    public void Copied_FoundByReconcile_CountsForTheMailboxNotTheChunk()
    {
        var cursor = new MailboxCursor { MessagesCopied = 10, BytesCopied = 100 };
        var progress = new ChunkProgress(cursor, ChunkBudget.Default, 100, NullLogger.Instance);

        progress.Copied(5);
        progress.Copied(7, thisChunk: false);

        Assert.Equal((1L, 5L), (progress.CopiedThisChunk, progress.BytesThisChunk));
        Assert.Equal((12L, 112L), (cursor.MessagesCopied, cursor.BytesCopied));
    }

    [Fact]
    public void BudgetSpent_MessagesOrBytesReached_True()
    {
        var byMessages = new ChunkProgress(new MailboxCursor(), new ChunkBudget(2, long.MaxValue, TimeSpan.FromHours(1)), 100, NullLogger.Instance);
        var byBytes = new ChunkProgress(new MailboxCursor(), new ChunkBudget(int.MaxValue, 10, TimeSpan.FromHours(1)), 100, NullLogger.Instance);

        byMessages.Copied(1);
        Assert.False(byMessages.BudgetSpent);
        Assert.True(byMessages.BatchReachesBudget(1));
        byMessages.Copied(1);
        byBytes.Copied(10);

        Assert.True(byMessages.BudgetSpent);
        Assert.True(byBytes.BudgetSpent);
    }

    [Fact]
    public void ThrowIfTooManyFailures_OverTheLimit_StopsTheMailbox()
    {
        var progress = new ChunkProgress(new MailboxCursor(), ChunkBudget.Default, 1, NullLogger.Instance);
        progress.Fail("INBOX", SourceKey.OfUid(1), 1, Refused);
        progress.ThrowIfTooManyFailures();
        progress.Fail("INBOX", SourceKey.OfUid(2), 1, Refused);

        var stopped = Assert.Throws<MailFailureException>(progress.ThrowIfTooManyFailures);

        Assert.Equal(ErrorCode.TooManyMessageFailures, stopped.Failure.Code);
        Assert.False(stopped.Failure.IsTransient);
    }

    [Fact]
    public void SourceKey_ToString_NamesTheMessageByUidOrUidl()
    {
        Assert.Equal("UID 7", SourceKey.OfUid(7).ToString());
        Assert.Equal("UIDL 0001abc", SourceKey.OfUidl("0001abc").ToString());
        Assert.NotEqual(SourceKey.OfUid(7), SourceKey.OfUidl("7"));
    }
}
