using MailImport.Mail.Connections;
using MailImport.Mail.Sync;
using MailImport.Testing;
using MailKit;
using Microsoft.Extensions.Time.Testing;
using MimeKit;

namespace MailImport.Mail.Tests.Sync;

/// <summary>A folder's flags are synced a page at a time, and the chunk's time budget stops the sync between pages:
/// the next chunk goes on from the page after, and a change made at the source while the sync was under way is
/// carried by the next run, since the sync's HIGHESTMODSEQ is the one it started from (RFC 7162 section 3.1.4.1).</summary>
[Collection(DovecotServers.Name)]
public class FlagSyncPagingTests(DovecotFixture servers)
{
    private const int Messages = FlagSync.PageSize * 2 + 500;

    private static readonly ChunkBudget OneMinute = new(int.MaxValue, long.MaxValue, TimeSpan.FromMinutes(1));

    [Fact]
    public async Task CopyChunkAsync_FlagsOfMoreThanAPage_StopsBetweenPagesWhenTheBudgetIsSpentAndTheNextChunkGoesOn()
    {
        var source = servers.Source.AddUniqueUser("src");
        var destination = servers.Destination.AddUniqueUser("dst");
        await SeedAsync(source);
        var store = new InMemoryCursorStore();
        var copier = ImapCopyTests.NewCopier();
        MailboxJob Job(string run) => new(run, servers.Source.ImapSource, source, servers.Destination.Imaps, destination, new CopyOptions());
        await ImapCopyTests.RunToEndAsync(copier, Job("run-1"), store, OneMinute);
        await StoreAsync(servers.Source, source, all: true, MessageFlags.Flagged);

        // The first page's STORE is made; then the chunk's clock passes its minute before the budget is asked again.
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var pages = 0;
        copier.Clock = clock;
        copier.StepHook = step =>
        {
            if (step == CopyStep.FlagsPageSynced && pages++ == 0)
            {
                clock.Advance(OneMinute.MaxDuration + TimeSpan.FromSeconds(1));
            }

            return ValueTask.CompletedTask;
        };
        var stopped = await copier.CopyChunkAsync(Job("run-2"), store, OneMinute, CancellationToken.None);

        Assert.False(stopped.Completed);
        Assert.Equal(FlagSync.PageSize, stopped.FlagsUpdated);
        Assert.Equal(1, pages);
        Assert.Equal((uint)FlagSync.PageSize, store.Current!.Folders["INBOX"].FlagsSyncedUpTo);
        Assert.Equal(FlagSync.PageSize, await CountFlaggedAsync(destination));

        // Changed at the source while the sync is half done, in the page already synced.
        await StoreAsync(servers.Source, source, all: false, MessageFlags.Seen);
        copier.Clock = TimeProvider.System;
        copier.StepHook = null;
        var rest = await ImapCopyTests.RunToEndAsync(copier, Job("run-2"), store, OneMinute);

        Assert.Equal(Messages - FlagSync.PageSize, rest.FlagsUpdated);
        Assert.Equal(Messages, await CountFlaggedAsync(destination));
        Assert.Null(store.Current!.Folders["INBOX"].FlagsSyncedUpTo);

        var next = await ImapCopyTests.RunToEndAsync(copier, Job("run-3"), store, OneMinute);

        Assert.Equal(1, next.FlagsUpdated);
        MailCorpus.AssertSame(await MailCorpus.SnapshotAsync(servers.Source, source), await MailCorpus.SnapshotAsync(servers.Destination, destination));
    }

    /// <summary>Appends the messages a few hundred to a MULTIAPPEND (RFC 3502), which Dovecot offers.</summary>
    private async Task SeedAsync(MailAccount account)
    {
        using var client = await MailCorpus.Connect(servers.Source, account);
        foreach (var part in Enumerable.Range(1, Messages).Chunk(500))
        {
            var requests = part.Select(n => (IAppendRequest)new AppendRequest(
                MimeMessage.Load(new MemoryStream(System.Text.Encoding.ASCII.GetBytes(MailCorpus.Message($"message {n}", $"{n}@paging.example")))))).ToList();
            await client.Inbox.AppendAsync(requests);
        }

        await client.DisconnectAsync(true);
    }

    /// <summary>Adds the flag to every message of the inbox, or to its first only.</summary>
    private static async Task StoreAsync(DovecotServer server, MailAccount account, bool all, MessageFlags flag)
    {
        using var client = await MailCorpus.Connect(server, account);
        await client.Inbox.OpenAsync(FolderAccess.ReadWrite);
        var request = new StoreFlagsRequest(StoreAction.Add, flag) { Silent = true };
        if (all)
        {
            await client.Inbox.StoreAsync(UniqueIdRange.All, request);
        }
        else
        {
            await client.Inbox.StoreAsync(0, request);
        }

        await client.DisconnectAsync(true);
    }

    private async Task<int> CountFlaggedAsync(MailAccount account)
    {
        using var client = await MailCorpus.Connect(servers.Destination, account);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);
        var flagged = await client.Inbox.SearchAsync(MailKit.Search.SearchQuery.Flagged);
        await client.DisconnectAsync(true);
        return flagged.Count;
    }
}
