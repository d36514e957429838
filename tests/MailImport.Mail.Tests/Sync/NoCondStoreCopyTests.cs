using MailImport.Mail.Connections;
using MailImport.Mail.Sync;
using MailImport.Testing;
using MailKit;
using MailKit.Net.Imap;

namespace MailImport.Mail.Tests.Sync;

/// <summary>A source Dovecot that announces neither CONDSTORE nor QRESYNC (RFC 7162), as Exchange Online's IMAP does
/// not: flags are then compared message by message on every run.</summary>
public sealed class NoCondStoreSource
{
    public NoCondStoreSource()
    {
        DovecotServer.Install();
        Source = DovecotServer.Start("mi-test-nocondstore", 4000, "--drop-capability", "CONDSTORE QRESYNC");
    }

    public DovecotServer Source { get; }
}

[Collection(DovecotServers.Name)]
public class NoCondStoreCopyTests(DovecotFixture servers, NoCondStoreSource exchangeLike) : IClassFixture<NoCondStoreSource>
{
    private static readonly ChunkBudget Unlimited = new(int.MaxValue, long.MaxValue, TimeSpan.FromHours(1));

    private MailboxJob Job(MailAccount source, MailAccount destination, string run) =>
        new(run, exchangeLike.Source.ImapSource, source, servers.Destination.Imaps, destination, new CopyOptions());

    [Fact]
    public async Task Source_WithoutCondStore_AnnouncesNeitherCondStoreNorQresync()
    {
        var source = exchangeLike.Source.AddUniqueUser("src");

        using var client = await MailCorpus.Connect(exchangeLike.Source, source);

        Assert.Equal(ImapCapabilities.None, client.Capabilities & (ImapCapabilities.CondStore | ImapCapabilities.QuickResync));
        Assert.NotEqual(ImapCapabilities.None, client.Capabilities & ImapCapabilities.UidPlus);
    }

    [Fact]
    public async Task CopyChunkAsync_ReRunWithoutCondStore_CopiesOnlyWhatIsNewAndBringsFlagsUpToDate()
    {
        var source = exchangeLike.Source.AddUniqueUser("src");
        var destination = servers.Destination.AddUniqueUser("dst");
        await MailCorpus.SeedAsync(exchangeLike.Source, source, MailCorpus.Standard());
        var store = new InMemoryCursorStore();
        var copier = ImapCopyTests.NewCopier();
        var first = await ImapCopyTests.RunToEndAsync(copier, Job(source, destination, "run-1"), store, Unlimited);
        Assert.Equal(14, first.MessagesCopied);
        Assert.All(store.Current!.Folders.Values, f => Assert.Equal(0UL, f.FlagsModSeq));

        var again = await copier.CopyChunkAsync(Job(source, destination, "run-1"), store, Unlimited, CancellationToken.None);
        Assert.True(again.Completed);
        Assert.Equal(0, again.CopiedThisChunk);

        using (var client = await MailCorpus.Connect(exchangeLike.Source, source))
        {
            await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await client.Inbox.StoreAsync(0, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Flagged) { Silent = true });
            await client.Inbox.StoreAsync(0, new StoreFlagsRequest(StoreAction.Remove, MessageFlags.Seen) { Silent = true });
            await client.Inbox.StoreAsync(2, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen) { Silent = true, Keywords = { "Later" } });
            await MailCorpus.AppendAsync(client.Inbox, new SeedMessage(MailCorpus.Message("new", "new@old.example"), MessageFlags.None, [], DateTimeOffset.UnixEpoch.AddYears(50)));
        }

        var rerun = await ImapCopyTests.RunToEndAsync(copier, Job(source, destination, "run-2"), store, Unlimited);

        Assert.Equal(1, rerun.CopiedThisChunk);
        Assert.Equal(2, rerun.FlagsUpdated);
        Assert.Equal(15, rerun.MessagesCopied);
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(exchangeLike.Source, source), await MailCorpus.SnapshotAsync(servers.Destination, destination));
    }

    [Fact]
    public async Task CopyChunkAsync_ReRunWithoutCondStore_SetsFlagsChangedAtTheDestinationBackToTheSource()
    {
        // Without HIGHESTMODSEQ nothing tells a flag the user changed at the source from one left alone: the source
        // is the reference, message by message (the behaviour MailboxCursor.FlagsModSeq = 0 documents).
        var source = exchangeLike.Source.AddUniqueUser("src");
        var destination = servers.Destination.AddUniqueUser("dst");
        await MailCorpus.SeedAsync(exchangeLike.Source, source, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });
        var store = new InMemoryCursorStore();
        var copier = ImapCopyTests.NewCopier();
        await ImapCopyTests.RunToEndAsync(copier, Job(source, destination, "run-1"), store, Unlimited);
        using (var client = await MailCorpus.Connect(servers.Destination, destination))
        {
            await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
            await client.Inbox.StoreAsync(1, new StoreFlagsRequest(StoreAction.Add, MessageFlags.Answered) { Silent = true });
        }

        var rerun = await ImapCopyTests.RunToEndAsync(copier, Job(source, destination, "run-2"), store, Unlimited);

        Assert.Equal(0, rerun.CopiedThisChunk);
        Assert.Equal(1, rerun.FlagsUpdated);
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(exchangeLike.Source, source), await MailCorpus.SnapshotAsync(servers.Destination, destination));
    }
}
