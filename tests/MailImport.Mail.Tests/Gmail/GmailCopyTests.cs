using MailImport.Core.Sources;
using MailImport.Mail.Sync;
using MailImport.Mail.Tests.Sync;
using MailImport.Testing;

namespace MailImport.Mail.Tests.Gmail;

/// <summary>Copies of the Gmail-shaped source into Dovecot, counted message by message by SHA-256.</summary>
[Collection(DovecotServers.Name)]
public sealed class GmailCopyTests(DovecotFixture servers, GmailStandInFixture gmail) : IClassFixture<GmailStandInFixture>
{
    private static readonly ChunkBudget Unlimited = new(int.MaxValue, long.MaxValue, TimeSpan.FromHours(1));

    [Fact]
    public async Task CopyChunkAsync_GmailPresetFoldersAsTheyAre_LosesArchivedMailAndCopiesLabelledMailOncePerLabel()
    {
        var (_, account, _) = gmail.AddCorpusAccount();
        var destination = servers.Destination.AddUniqueUser("gm");
        var job = new MailboxJob("run-1", gmail.Source with { Provider = SourceProvider.Gmail }, account, servers.Destination.Imaps, destination, new CopyOptions());

        await ImapCopyTests.RunToEndAsync(ImapCopyTests.NewCopier(), job, new InMemoryCursorStore(), Unlimited);

        var copies = GmailCorpus.Copies(await MailCorpus.SnapshotAsync(servers.Destination, destination), GmailCorpus.Seeds());
        // The five archived messages and the one only \Important are in All Mail alone, which is skipped.
        Assert.Equal(GmailCorpus.Archived, copies.Values.Count(c => c == 0));
        Assert.True(copies.Values.Count(c => c > 1) >= 10, string.Join(", ", copies.Values));
    }
}
