using MailImport.Mail.Sync;
using MailImport.Testing;

namespace MailImport.Mail.Tests.Sync;

[Collection(DovecotServers.Name)]
public class Pop3CopyTests(DovecotFixture servers)
{
    [Fact]
    public async Task CopyChunkAsync_Pop3Source_EveryInboxMessageArrivesOnceByteForByte()
    {
        var source = servers.Source.AddUniqueUser("src");
        var destination = servers.Destination.AddUniqueUser("dst");
        var corpus = MailCorpus.Standard();
        await MailCorpus.SeedAsync(servers.Source, source, corpus);
        var job = new MailboxJob("run-1", servers.Source.Pop3Source, source, servers.Destination.Imaps, destination, new CopyOptions { BatchMessages = 3 });
        var store = new InMemoryCursorStore();

        var result = await ImapCopyTests.RunToEndAsync(ImapCopyTests.NewCopier(), job, store, ChunkBudget.Default);
        var again = await ImapCopyTests.NewCopier().CopyChunkAsync(job with { RunId = "run-2" }, store, ChunkBudget.Default, CancellationToken.None);

        Assert.Equal(corpus["INBOX"].Count, result.MessagesCopied);
        Assert.Equal(0, again.CopiedThisChunk);
        var sent = (await MailCorpus.SnapshotAsync(servers.Source, source))["INBOX"].Select(l => l.Split(' ')[0]);
        var arrived = (await MailCorpus.SnapshotAsync(servers.Destination, destination))["INBOX"].Select(l => l.Split(' ')[0]);
        Assert.Equal(sent, arrived);
    }

    [Fact]
    public async Task CopyChunkAsync_Pop3Source_NeverDeletesAtTheSource()
    {
        var source = servers.Source.AddUniqueUser("src");
        var destination = servers.Destination.AddUniqueUser("dst");
        await MailCorpus.SeedAsync(servers.Source, source, new() { ["INBOX"] = MailCorpus.Standard()["INBOX"] });
        var before = await MailCorpus.SnapshotAsync(servers.Source, source);
        var job = new MailboxJob("run-1", servers.Source.Pop3Source, source, servers.Destination.Imaps, destination, new CopyOptions());

        await ImapCopyTests.RunToEndAsync(ImapCopyTests.NewCopier(), job, new InMemoryCursorStore(), ChunkBudget.Default);

        // RETR, never DELE: every message is still there, byte for byte. (Whether RETR marks a message read is the
        // POP3 server's policy: Dovecot does unless pop3_no_flag_updates is set; POP3 offers no way to avoid it.)
        var after = await MailCorpus.SnapshotAsync(servers.Source, source);
        Assert.Equal(before["INBOX"].Select(l => l.Split(' ')[0]), after["INBOX"].Select(l => l.Split(' ')[0]));
        Assert.All((await MailCorpus.SnapshotAsync(servers.Destination, destination))["INBOX"], line => Assert.Contains(" None ", line, StringComparison.Ordinal));
    }
}
