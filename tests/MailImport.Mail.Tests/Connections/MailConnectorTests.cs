using MailImport.Core;
using MailImport.Core.Errors;
using MailImport.Core.Sources;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailImport.Testing;

namespace MailImport.Mail.Tests.Connections;

/// <summary>Every way a connection fails on a real server, classified into the code an admin can act on.</summary>
[Collection(DovecotServers.Name)]
public class MailConnectorTests(DovecotFixture servers)
{
    private static readonly MailConnector Connector = new(new ConnectorOptions { Timeout = TimeSpan.FromSeconds(5) }, TestSourceAccess.LoopbackPolicy);

    [Theory]
    [InlineData("imap", "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] plain-only server ready\r\n")]
    [InlineData("pop3", "+OK plain-only server ready\r\n")]
    public async Task Open_StartTlsOnAServerWithoutIt_IsSourceTlsFailedNotRetried_AndNoPasswordIsSent(string protocol, string greeting)
    {
        // A server that offers no STARTTLS (POP3: answers CAPA with no STLS): MailKit refuses before any login.
        var (error, received) = await OpenOnFakeServerAsync(protocol, greeting, TransportSecurity.StartTls);

        Assert.Equal((ErrorCode.SourceTlsFailed, false), (error.Failure.Code, error.Failure.IsTransient));
        Assert.Contains("does not offer STARTTLS", error.Failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Never-sent-7", received, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("imap")]
    [InlineData("pop3")]
    public async Task Open_APortThatIsNotAMailServer_IsSourceConnectFailed_WithoutQuotingWhatItSaid(string protocol)
    {
        var (error, _) = await OpenOnFakeServerAsync(protocol, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", TransportSecurity.None);

        Assert.Equal((ErrorCode.SourceConnectFailed, false), (error.Failure.Code, error.Failure.IsTransient));
        Assert.DoesNotContain("SSH", error.Failure.Message, StringComparison.Ordinal);
        Assert.Contains("greeting", error.Failure.Message, StringComparison.Ordinal);
    }

    /// <summary>Opens an IMAP or POP3 connection as ivan@example.org to a one-connection server on 127.0.0.1 that sends
    /// <paramref name="greeting"/> (and to POP3's CAPA, a list without STLS); returns the failure and all it received.</summary>
    private static async Task<(MailFailureException Error, string Received)> OpenOnFakeServerAsync(string protocol, string greeting, TransportSecurity security)
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var received = new System.Text.StringBuilder();
        var serving = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(greeting));
            var buffer = new byte[4096];
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                var line = System.Text.Encoding.ASCII.GetString(buffer, 0, read);
                received.Append(line);
                if (line.StartsWith("CAPA", StringComparison.Ordinal))
                {
                    await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes("+OK\r\nUSER\r\n.\r\n"));
                }
            }
        });
        var endpoint = new ServerEndpoint("127.0.0.1", ((System.Net.IPEndPoint)listener.LocalEndpoint).Port, security);
        var account = new MailAccount("ivan@example.org", new Secret("Never-sent-7"));

        var error = await Assert.ThrowsAsync<MailFailureException>(async () =>
        {
            if (protocol == "imap")
            {
                (await Connector.OpenImapAsync(endpoint, account, MailSide.Source, CancellationToken.None)).Dispose();
            }
            else
            {
                (await Connector.OpenPop3Async(endpoint, account, MailSide.Source, CancellationToken.None)).Dispose();
            }
        });
        listener.Stop();
        await serving.WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        return (error, received.ToString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Open_ChecksRevocationUnlessTheEndpointSwitchedItOff(bool check)
    {
        var account = servers.Source.AddUniqueUser("cr");
        var pop3s = new ServerEndpoint("127.0.0.1", servers.Source.Pop3sPort, TransportSecurity.SslOnConnect, servers.Source.CertificateSha256);

        using var imap = await Connector.OpenImapAsync(servers.Source.Imaps with { CheckCertificateRevocation = check }, account, MailSide.Source, CancellationToken.None);
        using var pop3 = await Connector.OpenPop3Async(pop3s with { CheckCertificateRevocation = check }, account, MailSide.Source, CancellationToken.None);

        Assert.Equal((check, check), (imap.CheckCertificateRevocation, pop3.CheckCertificateRevocation));
        Assert.True(ServerEndpoint.Of(servers.Source.ImapSource).CheckCertificateRevocation);
        Assert.False(ServerEndpoint.Of(servers.Source.ImapSource with { CheckCertificateRevocation = false }).CheckCertificateRevocation);
    }

    [Fact]
    public async Task OpenImapAsync_WrongPassword_IsSourceAuthFailed()
    {
        var account = servers.Source.AddUniqueUser("cn");

        var error = await Assert.ThrowsAsync<MailFailureException>(() =>
            Connector.OpenImapAsync(servers.Source.Imaps, account with { Password = new Secret("Wrong-123") }, MailSide.Source, CancellationToken.None));

        Assert.Equal(ErrorCode.SourceAuthFailed, error.Failure.Code);
        Assert.False(error.Failure.IsTransient);
    }

    [Fact]
    public async Task OpenImapAsync_WrongPasswordAtDestination_IsDestinationAuthFailed()
    {
        var account = servers.Destination.AddUniqueUser("cn");

        var error = await Assert.ThrowsAsync<MailFailureException>(() =>
            Connector.OpenImapAsync(servers.Destination.Imaps, account with { Password = new Secret("Wrong-123") }, MailSide.Destination, CancellationToken.None));

        Assert.Equal(ErrorCode.DestinationAuthFailed, error.Failure.Code);
    }

    [Fact]
    public async Task OpenPop3Async_WrongPassword_IsSourceAuthFailed()
    {
        var account = servers.Source.AddUniqueUser("cn");
        var pop3s = new ServerEndpoint("127.0.0.1", servers.Source.Pop3sPort, TransportSecurity.SslOnConnect, servers.Source.CertificateSha256);

        var error = await Assert.ThrowsAsync<MailFailureException>(() =>
            Connector.OpenPop3Async(pop3s, account with { Password = new Secret("Wrong-123") }, MailSide.Source, CancellationToken.None));

        Assert.Equal(ErrorCode.SourceAuthFailed, error.Failure.Code);
    }

    [Fact]
    public async Task OpenImapAsync_NothingListening_IsSourceConnectFailed()
    {
        var account = servers.Source.AddUniqueUser("cn");
        // Port 9 (discard) is closed on a test machine: the connection is refused at once.
        var closed = new ServerEndpoint("127.0.0.1", 9, TransportSecurity.SslOnConnect);

        var error = await Assert.ThrowsAsync<MailFailureException>(() => Connector.OpenImapAsync(closed, account, MailSide.Source, CancellationToken.None));

        Assert.Equal(ErrorCode.SourceConnectFailed, error.Failure.Code);
        Assert.True(error.Failure.IsTransient);
    }

    [Fact]
    public async Task OpenImapAsync_TlsToAPlainPort_IsSourceTlsFailed()
    {
        var account = servers.Source.AddUniqueUser("cn");
        var tlsToPlain = new ServerEndpoint("127.0.0.1", servers.Source.ImapPort, TransportSecurity.SslOnConnect, servers.Source.CertificateSha256);

        var error = await Assert.ThrowsAsync<MailFailureException>(() => Connector.OpenImapAsync(tlsToPlain, account, MailSide.Source, CancellationToken.None));

        Assert.Equal(ErrorCode.SourceTlsFailed, error.Failure.Code);
    }

    [Theory]
    [InlineData(TransportSecurity.SslOnConnect)]
    [InlineData(TransportSecurity.StartTls)]
    public async Task OpenImapAsync_SelfSignedCertificateNotTrusted_IsRefusedByDefault(TransportSecurity security)
    {
        var account = servers.Source.AddUniqueUser("cn");
        var port = security == TransportSecurity.SslOnConnect ? servers.Source.ImapsPort : servers.Source.ImapPort;
        var untrusted = new ServerEndpoint("127.0.0.1", port, security);

        var error = await Assert.ThrowsAsync<MailFailureException>(() => Connector.OpenImapAsync(untrusted, account, MailSide.Source, CancellationToken.None));

        Assert.Equal(ErrorCode.SourceCertificateUntrusted, error.Failure.Code);
        Assert.Contains(servers.Source.CertificateSha256, error.Failure.Message.Replace(":", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task OpenImapAsync_OtherCertificateTrusted_IsStillRefused()
    {
        var account = servers.Source.AddUniqueUser("cn");
        var wrongTrust = new ServerEndpoint("127.0.0.1", servers.Source.ImapsPort, TransportSecurity.SslOnConnect, new string('A', 64));

        var error = await Assert.ThrowsAsync<MailFailureException>(() => Connector.OpenImapAsync(wrongTrust, account, MailSide.Source, CancellationToken.None));

        Assert.Equal(ErrorCode.SourceCertificateUntrusted, error.Failure.Code);
    }

    [Theory]
    [InlineData(TransportSecurity.SslOnConnect)]
    [InlineData(TransportSecurity.StartTls)]
    public async Task OpenImapAsync_CertificateTrustedByFingerprint_LogsIn(TransportSecurity security)
    {
        var account = servers.Source.AddUniqueUser("cn");
        var port = security == TransportSecurity.SslOnConnect ? servers.Source.ImapsPort : servers.Source.ImapPort;

        using var client = await Connector.OpenImapAsync(new ServerEndpoint("127.0.0.1", port, security, servers.Source.CertificateSha256), account, MailSide.Source, CancellationToken.None);

        Assert.True(client.IsAuthenticated);
        Assert.True(client.IsSecure);
    }

    [Fact]
    public async Task OpenImapAsync_ProtocolLog_NeverHoldsThePassword()
    {
        const string canary = "Canary-pw-8731";
        var account = servers.Source.AddUser($"log{Guid.NewGuid():N}"[..16], canary);
        var directory = Directory.CreateTempSubdirectory("mailimport-protocol-log").FullName;
        var logging = new MailConnector(new ConnectorOptions { ProtocolLogDirectory = directory }, TestSourceAccess.LoopbackPolicy);

        using (var client = await logging.OpenImapAsync(servers.Source.Imaps, account, MailSide.Source, CancellationToken.None))
        {
            await client.Inbox.OpenAsync(MailKit.FolderAccess.ReadOnly);
        }

        await Assert.ThrowsAsync<MailFailureException>(() =>
            logging.OpenImapAsync(servers.Source.Imaps, account with { Password = new Secret(canary + "x") }, MailSide.Source, CancellationToken.None));

        var logs = Directory.GetFiles(directory).Select(File.ReadAllText).ToList();
        Assert.NotEmpty(logs);
        Assert.Contains(logs, log => log.Contains("AUTHENTICATE", StringComparison.Ordinal) || log.Contains("LOGIN", StringComparison.Ordinal));
        Assert.All(logs, log => Assert.DoesNotContain(canary, log, StringComparison.Ordinal));
        // SASL PLAIN sends the password base64-encoded: look for that too.
        var plain = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"\0{account.Login}\0{canary}"));
        Assert.All(logs, log => Assert.DoesNotContain(plain, log, StringComparison.Ordinal));
    }
}
