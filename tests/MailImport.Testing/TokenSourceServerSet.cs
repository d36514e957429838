using System.Diagnostics.CodeAnalysis;
using MailImport.Mail.Connections;
using MailImport.StandIns;
using MailImport.StandIns.EntraId;
using MailImport.StandIns.Google;

namespace MailImport.Testing;

/// <summary>A source Dovecot that takes XOAUTH2 tokens of both token stand-ins (Google's JWT-bearer service, Entra ID's
/// client credentials), checked through one introspection endpoint, as Gmail and Exchange Online take their own.</summary>
/// <remarks>The introspection endpoint sits at base+500, clear of Dovecot's base+110..995 under every offset; its URL is
/// part of the Dovecot instance's configuration, so it is fixed.</remarks>
[SuppressMessage("Design", "CA1001", Justification = "xUnit disposes the fields through IAsyncLifetime.DisposeAsync.")]
/// <param name="name">The Dovecot instance's name.</param>
/// <param name="portBase">Its port base.</param>
/// <param name="dovecotOptions">More options of scripts/dovecot start, such as --separator /.</param>
public class TokenSourceServerSet(string name, int portBase, params string[] dovecotOptions) : IAsyncLifetime
{
    /// <summary>The mailboxes' domain.</summary>
    public const string Domain = "contoso.example";

    public GoogleTokenStandIn Google { get; } = new();

    public EntraIdStandIn Entra { get; } = new();

    public SourceTokenIntrospection Introspection { get; private set; } = null!;

    public DovecotServer Dovecot { get; private set; } = null!;

    /// <summary>MSAL's HttpClient, trusting the Entra stand-in's certificate by its pin.</summary>
    public HttpClient EntraHttp { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Google.StartAsync();
        await Entra.StartAsync();
        Introspection = new SourceTokenIntrospection(TestPorts.Shift(portBase + 500), Google.Introspect, Entra.Introspect);
        await Introspection.StartAsync();
        EntraHttp = PinnedHttpClient.Trusting(Entra.CertificateSha256);
        DovecotServer.Install();
        // An app-only token names the app, not the mailbox: the Dovecot compares the domain of the introspection's email.
        Dovecot = DovecotServer.Start(name, portBase, ["--oauth2-introspection", Introspection.Url, "--oauth2-match", "domain", .. dovecotOptions]);
    }

    public async Task DisposeAsync()
    {
        EntraHttp.Dispose();
        await Introspection.DisposeAsync();
        await Entra.DisposeAsync();
        await Google.DisposeAsync();
    }

    /// <summary>A new mailbox of the domain (with a password only for seeding and reading it back).</summary>
    public MailAccount AddMailbox(string prefix) => Dovecot.AddUser($"{prefix}{Guid.NewGuid():N}"[..(prefix.Length + 10)] + "@" + Domain, "Secret12");
}
