using MailImport.Core.Errors;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailImport.Mail.Sync;
using MailImport.Testing;
using MailKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace MailImport.Mail.Tests.Sync;

[Collection(DovecotServers.Name)]
public class ImapCopyTests(DovecotFixture servers, NoCondStoreSource exchangeLike) : IClassFixture<NoCondStoreSource>
{
    private static readonly ChunkBudget Unlimited = new(int.MaxValue, long.MaxValue, TimeSpan.FromHours(1));

    private MailboxJob Job(MailAccount source, MailAccount destination, string run = "run-1", DovecotServer? to = null, CopyOptions? options = null, DovecotServer? from = null) =>
        new(run, (from ?? servers.Source).ImapSource, source, (to ?? servers.Destination).Imaps, destination, options ?? new CopyOptions());

    /// <summary>The shared source, or one that announces neither CONDSTORE nor QRESYNC, as Exchange Online.</summary>
    private DovecotServer SourceWith(bool condStore) => condStore ? servers.Source : exchangeLike.Source;

    internal static MailboxCopier NewCopier() => new(new MailConnector(new ConnectorOptions { Timeout = TimeSpan.FromSeconds(30) }, TestSourceAccess.LoopbackPolicy), NullLogger<MailboxCopier>.Instance);

    internal static async Task<ChunkResult> RunToEndAsync(MailboxCopier copier, MailboxJob job, ICursorStore store, ChunkBudget budget)
    {
        for (var chunk = 0; chunk < 1_000; chunk++)
        {
            var result = await copier.CopyChunkAsync(job, store, budget, CancellationToken.None);
            if (result.Completed)
            {
                return result;
            }
        }

        throw new InvalidOperationException("The copy did not complete in 1,000 chunks.");
    }

    [Fact]
    public async Task CopyChunkAsync_StandardCorpus_DestinationEqualsSourceMessageByMessage()
    {
        var source = servers.Source.AddUniqueUser("src");
        var destination = servers.Destination.AddUniqueUser("dst");
        await MailCorpus.SeedAsync(servers.Source, source, MailCorpus.Standard(bigMessageBytes: 20 * 1024 * 1024));

        var result = await RunToEndAsync(NewCopier(), Job(source, destination), new InMemoryCursorStore(), ChunkBudget.Default);

        var expected = await MailCorpus.SnapshotAsync(servers.Source, source);
        var actual = await MailCorpus.SnapshotAsync(servers.Destination, destination);
        MailCorpus.AssertSame(expected, actual);
        Assert.Equal(15, result.MessagesCopied);
        Assert.Equal(15, result.MessagesTotal);
        Assert.Empty(result.Failures);
        Assert.Equal(0, result.NotExact);
        Assert.Contains("Входящие.Архив 2024", actual.Keys);
        // The source's parent is \Noselect (left out of its snapshot); the destination was asked to create only the child.
        Assert.DoesNotContain("Входящие", expected.Keys);
        Assert.DoesNotContain("Входящие", actual.Keys);
        Assert.Empty(actual["Empty"]);
    }

    [Fact]
    public async Task CopyChunkAsync_SmallBudget_CopiesInManyChunksAndEndsEqual()
    {
        var source = servers.Source.AddUniqueUser("src");
        var destination = servers.Destination.AddUniqueUser("dst");
        await MailCorpus.SeedAsync(servers.Source, source, MailCorpus.Standard());
        var store = new InMemoryCursorStore();
        var copier = NewCopier();
        var chunks = 0;
        ChunkResult result;
        do
        {
            result = await copier.CopyChunkAsync(Job(source, destination, options: new CopyOptions { BatchMessages = 2 }), store, new ChunkBudget(3, long.MaxValue, TimeSpan.FromHours(1)), CancellationToken.None);
            chunks++;
            Assert.InRange(result.CopiedThisChunk, 0, 3);
        }
        while (!result.Completed);

        Assert.True(chunks >= 5, $"{chunks} chunks");
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, source), await MailCorpus.SnapshotAsync(servers.Destination, destination));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CopyChunkAsync_ReRun_CopiesOnlyWhatIsNewAndBringsFlagsUpToDate(bool condStore)
    {
        var from = SourceWith(condStore);
        var source = from.AddUniqueUser("src");
        var destination = servers.Destination.AddUniqueUser("dst");
        await MailCorpus.SeedAsync(from, source, MailCorpus.Standard());
        var store = new InMemoryCursorStore();
        var copier = NewCopier();
        await RunToEndAsync(copier, Job(source, destination, from: from), store, Unlimited);
        // Without CONDSTORE no HIGHESTMODSEQ is kept: flags are compared message by message on every run.
        Assert.All(store.Current!.Folders.Values, f => Assert.Equal(condStore, f.FlagsModSeq != 0));

        var again = await copier.CopyChunkAsync(Job(source, destination, from: from), store, Unlimited, CancellationToken.None);
        Assert.True(again.Completed);
        Assert.Equal(0, again.CopiedThisChunk);

        using (var client = await MailCorpus.Connect(from, source))
        {
            await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await client.Inbox.StoreAsync(0, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Flagged) { Silent = true });
            await client.Inbox.StoreAsync(0, new StoreFlagsRequest(StoreAction.Remove, MessageFlags.Seen) { Silent = true });
            await client.Inbox.StoreAsync(2, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen) { Silent = true, Keywords = { "Later" } });
            await MailCorpus.AppendAsync(client.Inbox, new SeedMessage(MailCorpus.Message("new", "new@old.example"), MessageFlags.None, [], DateTimeOffset.UnixEpoch.AddYears(50)));
        }

        var rerun = await RunToEndAsync(copier, Job(source, destination, run: "run-2", from: from), store, Unlimited);

        Assert.Equal(1, rerun.CopiedThisChunk);
        Assert.Equal(2, rerun.FlagsUpdated);
        Assert.Equal(15, rerun.MessagesCopied);
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(from, source), await MailCorpus.SnapshotAsync(servers.Destination, destination));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CopyChunkAsync_ReRunWithNothingChangedAtTheSource_LeavesFlagsChangedAtTheDestinationAloneOnlyWithCondStore(bool condStore)
    {
        // With CONDSTORE only what changed at the source since the last sync is carried over: a message the user
        // has read in the new mailbox meanwhile is not marked unread again. Without it (Exchange Online) nothing tells
        // a flag changed at the source from one left alone, so the source is the reference, message by message.
        var from = SourceWith(condStore);
        var source = from.AddUniqueUser("src");
        var destination = servers.Destination.AddUniqueUser("dst");
        await MailCorpus.SeedAsync(from, source, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });
        var store = new InMemoryCursorStore();
        var copier = NewCopier();
        await RunToEndAsync(copier, Job(source, destination, from: from), store, Unlimited);
        using (var client = await MailCorpus.Connect(servers.Destination, destination))
        {
            await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await client.Inbox.StoreAsync(0, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen | MessageFlags.Answered) { Silent = true });
        }

        var changedAtDestination = await MailCorpus.SnapshotAsync(servers.Destination, destination);
        var rerun = await RunToEndAsync(copier, Job(source, destination, run: "run-2", from: from), store, Unlimited);

        Assert.Equal(0, rerun.CopiedThisChunk);
        Assert.Equal(condStore ? 0 : 1, rerun.FlagsUpdated);
        MailCorpus.AssertSame(condStore ? changedAtDestination : await MailCorpus.SnapshotAsync(from, source),
            await MailCorpus.SnapshotAsync(servers.Destination, destination));
    }

    [Fact]
    public async Task CopyChunkAsync_SourceUidValidityChanged_RematchesWithoutCopyingTwice()
    {
        var source = servers.Source.AddUniqueUser("src");
        var destination = servers.Destination.AddUniqueUser("dst");
        await MailCorpus.SeedAsync(servers.Source, source, MailCorpus.Standard());
        var store = new InMemoryCursorStore();
        var copier = NewCopier();
        await RunToEndAsync(copier, Job(source, destination), store, Unlimited);

        servers.Source.Doveadm("mailbox", "update", "-u", source.Login, "--uid-validity", "424242", "INBOX");
        using (var client = await MailCorpus.Connect(servers.Source, source))
        {
            await MailCorpus.AppendAsync(client.Inbox, new SeedMessage(MailCorpus.Message("after reset", "reset@old.example"), MessageFlags.Seen, [], DateTimeOffset.UnixEpoch.AddYears(51)));
        }

        var rerun = await RunToEndAsync(copier, Job(source, destination, run: "run-2"), store, Unlimited);

        Assert.Equal(1, rerun.CopiedThisChunk);
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, source), await MailCorpus.SnapshotAsync(servers.Destination, destination));
    }

    [Fact]
    public async Task CopyChunkAsync_MessageOverAppendLimit_IsReportedAndTheRestCopied()
    {
        var source = servers.Source.AddUniqueUser("src");
        var destination = servers.Limited.AddUniqueUser("dst");
        var corpus = MailCorpus.Standard(bigMessageBytes: 2 * 1024 * 1024);
        await MailCorpus.SeedAsync(servers.Source, source, corpus);

        var result = await RunToEndAsync(NewCopier(), Job(source, destination, to: servers.Limited), new InMemoryCursorStore(), Unlimited);

        var failure = Assert.Single(result.Failures);
        Assert.Equal(ErrorCode.MessageTooBig, failure.Code);
        Assert.Equal("Big", failure.Folder);
        Assert.NotNull(failure.Uid);
        var expected = await MailCorpus.SnapshotAsync(servers.Source, source);
        expected["Big"] = [];
        MailCorpus.AssertSame(expected, await MailCorpus.SnapshotAsync(servers.Limited, destination));
    }

    [Fact]
    public async Task CopyChunkAsync_DestinationQuotaExceeded_StopsWithOverQuotaAndKeepsWhatIsDone()
    {
        var source = servers.Source.AddUniqueUser("src");
        var destination = servers.Limited.AddUniqueUser("dst");
        var line = new string('q', 998) + "\r\n";
        var messages = Enumerable.Range(0, 10)
            .Select(i => new SeedMessage(MailCorpus.Message($"q{i}", $"q{i}@old.example", string.Concat(Enumerable.Repeat(line, 900))), MessageFlags.None, [], DateTimeOffset.UnixEpoch.AddDays(i)))
            .ToList();
        await MailCorpus.SeedAsync(servers.Source, source, new() { ["INBOX"] = messages });
        var store = new InMemoryCursorStore();

        var error = await Assert.ThrowsAsync<MailFailureException>(() =>
            RunToEndAsync(NewCopier(), Job(source, destination, to: servers.Limited, options: new CopyOptions { BatchMessages = 1 }), store, Unlimited));

        Assert.Equal(ErrorCode.DestinationOverQuota, error.Failure.Code);
        Assert.False(error.Failure.IsTransient);
        var copied = (await MailCorpus.SnapshotAsync(servers.Limited, destination))["INBOX"].Count;
        Assert.InRange(copied, 1, 9);
        Assert.Equal(copied, store.Current!.MessagesCopied);
    }
}
