using MailImport.Core;
using MailImport.Core.Sources;
using MailImport.Mail.Connections;
using MailImport.StandIns.Gmail;
using MailImport.Testing;

namespace MailImport.Mail.Tests.Gmail;

/// <summary>The Gmail-shaped stand-in as a source, beside the shared Dovecot destination: one listener for the test run
/// (its port is fixed), each test with accounts of its own.</summary>
public sealed class GmailStandInFixture
{
    private static readonly Lazy<GmailImapStandIn> Shared = new(() => GmailImapStandIn.Start(TestPorts.Shift(TestPorts.GmailStandInBase) + 143));

    public GmailImapStandIn Gmail { get; } = Shared.Value;

    /// <summary>The stand-in as a source server: plain IMAP on loopback, provider Custom, so nothing is told by its name.</summary>
    public SourceServer Source => new(MailProtocol.Imap, "127.0.0.1", Gmail.Port, TransportSecurity.None);

    /// <summary>A new account holding the 30-message corpus.</summary>
    public (GmailMailbox Mailbox, MailAccount Account, IReadOnlyList<ulong> MessageIds) AddCorpusAccount()
    {
        var login = $"g{Guid.NewGuid():N}"[..13] + "@gmail.example";
        var mailbox = Gmail.AddAccount(login, "Secret12");
        var ids = mailbox.Add([.. GmailCorpus.Seeds()]);
        return (mailbox, new MailAccount(login, new Secret("Secret12")), ids);
    }
}
