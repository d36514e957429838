using MailImport.Testing;
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

/// <summary>The Exchange-like source itself: the copy tests that run on it are ImapCopyTests' re-run theories.</summary>
public class NoCondStoreSourceTests(NoCondStoreSource exchangeLike) : IClassFixture<NoCondStoreSource>
{
    [Fact]
    public async Task Source_WithoutCondStore_AnnouncesNeitherCondStoreNorQresync()
    {
        var source = exchangeLike.Source.AddUniqueUser("src");

        using var client = await MailCorpus.Connect(exchangeLike.Source, source);

        Assert.Equal(ImapCapabilities.None, client.Capabilities & (ImapCapabilities.CondStore | ImapCapabilities.QuickResync));
        Assert.NotEqual(ImapCapabilities.None, client.Capabilities & ImapCapabilities.UidPlus);
    }
}
