using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using MailImport.Core;
using MailImport.Core.Errors;
using MailImport.Core.Sources;
using MailImport.Mail.Connections;
using MailImport.Mail.Errors;
using MailImport.Testing;
using MailKit;
using MimeKit;

namespace MailImport.Mail.Tests.Connections;

/// <summary>A Dovecot that accepts XOAUTH2 tokens by asking an introspection endpoint, as Yandex 360's mail store
/// does, and that endpoint.</summary>
public sealed class OAuthServers : IAsyncLifetime
{
    // Port bases are multiples of 1,000 (see TestPorts); 20000 is used by no other fixture. The endpoint sits at
    // base+500, clear of Dovecot's base+110..995 under every offset.
    private const int PortBase = 20000;

    /// <summary>The introspection endpoint Dovecot posts tokens to.</summary>
    public TokenIntrospectionEndpoint Introspection { get; } = new(TestPorts.Shift(PortBase + 500));

    /// <summary>The Dovecot instance with the oauth2 passdb.</summary>
    public DovecotServer Server { get; private set; } = null!;

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        await Introspection.StartAsync();
        DovecotServer.Install();
        Server = DovecotServer.Start("mi-xoauth-dest", PortBase, "--oauth2-introspection", Introspection.Url);
    }

    /// <inheritdoc/>
    public async Task DisposeAsync() => await Introspection.DisposeAsync();
}

/// <summary>Logging in with an OAuth 2.0 access token (SASL XOAUTH2) through <see cref="MailConnector"/>, against a
/// real Dovecot whose oauth2 passdb asks a real HTTP endpoint.</summary>
public class OAuthLoginTests(OAuthServers servers) : IClassFixture<OAuthServers>
{
    private static readonly MailConnector Connector = new(new ConnectorOptions { Timeout = TimeSpan.FromSeconds(10) }, TestSourceAccess.LoopbackPolicy);

    private DovecotServer Dovecot => servers.Server;

    private TokenIntrospectionEndpoint Introspection => servers.Introspection;

    /// <summary>A new user of the instance, and an account with a token the endpoint issued for it.</summary>
    private (MailAccount Account, Secret Token) TokenUser(string prefix = "oa")
    {
        var user = Dovecot.AddUniqueUser(prefix);
        var token = Introspection.Issue(user.Login);
        return (MailAccount.WithAccessToken(user.Login, token), token);
    }

    [Fact]
    public async Task OpenImapAsync_ValidToken_LogsInWithXoauth2AndCanAppendAndSelect()
    {
        var (account, token) = TokenUser();

        using var client = await Connector.OpenImapAsync(Dovecot.Imaps, account, MailSide.Destination, CancellationToken.None);
        var message = new MimeMessage(
            [new MailboxAddress("Ivan", "ivan@example.org")], [new MailboxAddress("", account.Login)], "Token login", new TextPart("plain") { Text = "Stored with an access token." });
        await client.Inbox.AppendAsync(message);
        await client.Inbox.OpenAsync(FolderAccess.ReadOnly);

        Assert.True(client.IsAuthenticated);
        Assert.Equal(1, client.Inbox.Count);
        Assert.DoesNotContain(token.Reveal(), account.ToString(), StringComparison.Ordinal);
        Assert.True(Introspection.WasAskedAbout(token), Diagnostics());
        Assert.Contains($"Login: user=<{account.Login}>, method=XOAUTH2", await File.ReadAllTextAsync(Dovecot.LogFile), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenImapAsync_TokenTheEndpointCallsInactive_IsDestinationAuthFailedWithoutHanging()
    {
        var user = Dovecot.AddUniqueUser("oa");
        var token = TokenIntrospectionEndpoint.Unknown();
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<MailFailureException>(() =>
            Connector.OpenImapAsync(Dovecot.Imaps, MailAccount.WithAccessToken(user.Login, token), MailSide.Destination, CancellationToken.None));

        Assert.Equal(ErrorCode.DestinationAuthFailed, error.Failure.Code);
        Assert.False(error.Failure.IsTransient, error.Failure.Message);
        // Refused by the endpoint's answer, not for want of the mechanism, and well inside the 10 s timeout.
        Assert.True(Introspection.WasAskedAbout(token), Diagnostics());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the refusal took {clock.Elapsed}");
        Assert.DoesNotContain(token.Reveal(), error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenImapAsync_TokenOfAnotherUser_IsDestinationAuthFailed()
    {
        var user = Dovecot.AddUniqueUser("oa");
        var other = Dovecot.AddUniqueUser("ob");
        var othersToken = Introspection.Issue(other.Login);

        var error = await Assert.ThrowsAsync<MailFailureException>(() =>
            Connector.OpenImapAsync(Dovecot.Imaps, MailAccount.WithAccessToken(user.Login, othersToken), MailSide.Destination, CancellationToken.None));

        Assert.Equal(ErrorCode.DestinationAuthFailed, error.Failure.Code);
        Assert.True(Introspection.WasAskedAbout(othersToken), Diagnostics());
        Assert.Contains($"Username '{user.Login}' did not match '{other.Login}'", await File.ReadAllTextAsync(Dovecot.LogFile), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenImapAsync_PasswordOnTheTokenInstance_WorksAsBeforeAndIsNeverPosted()
    {
        var user = Dovecot.AddUniqueUser("op", "Pass-word-1");

        using (var client = await Connector.OpenImapAsync(Dovecot.Imaps, user, MailSide.Destination, CancellationToken.None))
        {
            Assert.True(client.IsAuthenticated);
        }

        var error = await Assert.ThrowsAsync<MailFailureException>(() =>
            Connector.OpenImapAsync(Dovecot.Imaps, user with { Password = new Secret("Wrong-word-1") }, MailSide.Destination, CancellationToken.None));

        Assert.Equal(ErrorCode.DestinationAuthFailed, error.Failure.Code);
        Assert.False(Introspection.WasAskedAbout(user.Password), Diagnostics());
        Assert.False(Introspection.WasAskedAbout(new Secret("Wrong-word-1")), Diagnostics());
    }

    [Fact]
    public async Task Introspection_IsAFormPostOfTheToken()
    {
        var (account, token) = TokenUser();

        using (await Connector.OpenImapAsync(Dovecot.Imaps, account, MailSide.Destination, CancellationToken.None))
        {
        }

        var asked = Assert.Single(Introspection.Requests, r => r.Form.TryGetValue("token", out var value) && value == token.Reveal());
        Assert.Equal("/introspect", asked.Path);
        Assert.StartsWith("application/x-www-form-urlencoded", asked.ContentType, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task OpenPop3Async_ValidToken_LogsIn()
    {
        var (account, token) = TokenUser();
        var pop3s = new ServerEndpoint("127.0.0.1", Dovecot.Pop3sPort, TransportSecurity.SslOnConnect, Dovecot.CertificateSha256);

        using var client = await Connector.OpenPop3Async(pop3s, account, MailSide.Source, CancellationToken.None);

        Assert.True(client.IsAuthenticated);
        Assert.True(Introspection.WasAskedAbout(token), Diagnostics());
    }

    [Fact]
    public async Task OpenImapAsync_ServerNotAdvertisingXoauth2_StillSendsTheToken()
    {
        var (account, token) = TokenUser();
        await using var proxy = CapabilityHidingProxy.Start(Dovecot.ImapPort, " AUTH=XOAUTH2", " AUTH=OAUTHBEARER");

        using var client = await Connector.OpenImapAsync(new ServerEndpoint("127.0.0.1", proxy.Port, TransportSecurity.None), account, MailSide.Destination, CancellationToken.None);

        Assert.DoesNotContain("XOAUTH2", client.AuthenticationMechanisms);
        Assert.True(client.IsAuthenticated);
        Assert.True(Introspection.WasAskedAbout(token), Diagnostics());
    }

    // With SASL-IR (RFC 4959) MailKit sends the token on the AUTHENTICATE line, the one-line form Yandex documents;
    // without it, as the answer to the server's "+" continuation. Neither may reach the log.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ProtocolLog_HoldsNoToken(bool serverWithoutSaslIr)
    {
        var (account, good) = TokenUser("ol");
        var refused = TokenIntrospectionEndpoint.Unknown();
        await using var proxy = CapabilityHidingProxy.Start(Dovecot.ImapPort, " SASL-IR");
        var server = serverWithoutSaslIr ? new ServerEndpoint("127.0.0.1", proxy.Port, TransportSecurity.None) : Dovecot.Imaps;
        var directory = Path.Combine(Path.GetTempPath(), $"mi-oauth-log-{Guid.NewGuid():N}");
        var logging = new MailConnector(new ConnectorOptions { Timeout = TimeSpan.FromSeconds(10), ProtocolLogDirectory = directory }, TestSourceAccess.LoopbackPolicy);
        try
        {
            using (var client = await logging.OpenImapAsync(server, account, MailSide.Destination, CancellationToken.None))
            {
                Assert.Equal(!serverWithoutSaslIr, client.Capabilities.HasFlag(MailKit.Net.Imap.ImapCapabilities.SaslIR));
            }

            await Assert.ThrowsAsync<MailFailureException>(() =>
                logging.OpenImapAsync(server, account with { Password = refused }, MailSide.Destination, CancellationToken.None));

            var log = string.Concat(Directory.GetFiles(directory).Select(File.ReadAllText));
            Assert.Contains("AUTHENTICATE XOAUTH2", log, StringComparison.Ordinal);
            Assert.Contains(" NO ", log, StringComparison.Ordinal);
            foreach (var token in new[] { good, refused })
            {
                var sasl = Convert.ToBase64String(Encoding.ASCII.GetBytes($"user={account.Login}\u0001auth=Bearer {token.Reveal()}\u0001\u0001"));
                Assert.DoesNotContain(token.Reveal(), log, StringComparison.Ordinal);
                Assert.DoesNotContain(sasl, log, StringComparison.Ordinal);
                Assert.DoesNotContain(sasl[..24], log, StringComparison.Ordinal);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    // What the endpoint saw (form field names only: the values are tokens), and the logs of Kestrel and Dovecot.
    private string Diagnostics() =>
        $"introspection requests: {string.Join("; ", Introspection.Requests.Select(r => $"{r.Path} [{string.Join(",", r.Form.Keys)}]"))}\n" +
        $"kestrel:\n{Introspection.KestrelLog}\n" +
        $"dovecot log (last lines):\n{string.Join('\n', File.ReadLines(Dovecot.LogFile).TakeLast(15))}";

    /// <summary>Forwards plain IMAP connections and cuts the given words out of what the server sends, so the client
    /// never sees those capabilities (Yandex Mail does not list XOAUTH2).</summary>
    private sealed class CapabilityHidingProxy : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly int target;
        private readonly string[] hidden;
        private readonly CancellationTokenSource stop = new();
        private Task? pumping;

        private CapabilityHidingProxy(int target, string[] hidden)
        {
            this.target = target;
            this.hidden = hidden;
        }

        public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;

        public static CapabilityHidingProxy Start(int target, params string[] hidden)
        {
            var proxy = new CapabilityHidingProxy(target, hidden);
            proxy.listener.Start();
            proxy.pumping = proxy.RunAsync();
            return proxy;
        }

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Stop();
            try
            {
                await (pumping ?? Task.CompletedTask);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // The connection ends when the test is done with it.
            }

            stop.Dispose();
        }

        private async Task RunAsync()
        {
            var connections = new List<Task>();
            try
            {
                while (true)
                {
                    connections.Add(ForwardAsync(await listener.AcceptTcpClientAsync(stop.Token)));
                }
            }
            finally
            {
                await Task.WhenAll(connections);
            }
        }

        private async Task ForwardAsync(TcpClient client)
        {
            try
            {
                using (client)
                using (var server = new TcpClient())
                {
                    await server.ConnectAsync(IPAddress.Loopback, target, stop.Token);
                    var up = client.GetStream().CopyToAsync(server.GetStream(), stop.Token);
                    var down = FilterAsync(server.GetStream(), client.GetStream());
                    await Task.WhenAny(up, down);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // Either side hung up, or the test is done with the proxy.
            }
        }

        // Pre-login lines arrive whole in one read here (loopback, a few hundred bytes), which is all this test needs.
        private async Task FilterAsync(NetworkStream from, NetworkStream to)
        {
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await from.ReadAsync(buffer, stop.Token)) > 0)
            {
                var text = Encoding.Latin1.GetString(buffer, 0, read);
                foreach (var word in hidden)
                {
                    text = text.Replace(word, "", StringComparison.Ordinal);
                }

                await to.WriteAsync(Encoding.Latin1.GetBytes(text), stop.Token);
            }
        }
    }
}
