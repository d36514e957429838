using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MailImport.Core.Sources;
using MailImport.Mail.Errors;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Pop3;
using MailKit.Security;

namespace MailImport.Mail.Connections;

/// <summary>Opens authenticated IMAP and POP3 connections, with certificate checks and classified failures.</summary>
/// <remarks>
/// Certificates validate normally; one that does not is accepted only when its SHA-256 fingerprint is the one the
/// admin trusted for that server. Every failure leaves as a <see cref="MailFailureException"/>, classified once.
/// A source is reached only at an address its <see cref="SourceAccessPolicy"/> let through, connected to by address;
/// the destination is the operator's own setting and is connected to by name.
/// </remarks>
public sealed class MailConnector(ConnectorOptions options, SourceAccessPolicy sourceAccess)
{
    /// <summary>The settings in force.</summary>
    public ConnectorOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));

    /// <summary>Where a source may be.</summary>
    public SourceAccessPolicy SourceAccess { get; } = sourceAccess ?? throw new ArgumentNullException(nameof(sourceAccess));

    /// <summary>Where the messages this process copies wait between FETCH and APPEND, within
    /// <see cref="ConnectorOptions.InFlightMegabytes"/>.</summary>
    public Sync.MessageSpool Spool { get; } = new((options ?? throw new ArgumentNullException(nameof(options))).InFlightMegabytes * 1024L * 1024);

    /// <summary>Connects and logs in to an IMAP server.</summary>
    public Task<ImapClient> OpenImapAsync(ServerEndpoint endpoint, MailAccount account, MailSide side, CancellationToken cancellationToken) =>
        OpenAsync<ImapClient>(logger => new HierarchyImapClient(logger) { Spool = side == MailSide.Source ? Spool : null }, "imap", endpoint, account, side, cancellationToken);

    /// <summary>Connects and logs in to a POP3 server.</summary>
    public Task<Pop3Client> OpenPop3Async(ServerEndpoint endpoint, MailAccount account, MailSide side, CancellationToken cancellationToken) =>
        OpenAsync<Pop3Client>(logger => new Pop3Client(logger), "pop3", endpoint, account, side, cancellationToken);

    private async Task<TClient> OpenAsync<TClient>(Func<IProtocolLogger, TClient> create, string protocol, ServerEndpoint endpoint, MailAccount account, MailSide side, CancellationToken cancellationToken)
        where TClient : MailService
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(account);
        var replies = new ServerReplyRecorder(CreateLogger(side, account.Login, protocol));
        var client = create(replies);
        try
        {
            Prepare(client, endpoint);
            if (side == MailSide.Source)
            {
                var addresses = await SourceAccess.ResolveAsync(endpoint.Host, endpoint.Port, cancellationToken);
                // MailKit takes over the socket; the host name still names the server for TLS (SNI and the certificate check).
                var socket = await ConnectSocketAsync(addresses, endpoint.Port, cancellationToken);
                await client.ConnectAsync(socket, endpoint.Host, endpoint.Port, SocketOptions(endpoint.Security), cancellationToken);
            }
            else
            {
                await client.ConnectAsync(endpoint.Host, endpoint.Port, SocketOptions(endpoint.Security), cancellationToken);
            }

            await LogInOnceAsync(client, account, cancellationToken);
            // MailKit follows a login with LIST "" "INBOX" and takes a NO to it quietly: Gmail's over-limit ALERT on that
            // LIST would go unseen until a later command failed for it without a word.
            if (side == MailSide.Source && client is HierarchyImapClient imap && HierarchyImapClient.SourceLimitAlert(imap) is { } limit)
            {
                throw new MailFailureException(limit);
            }

            replies.Stop();
            return client;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            client.Dispose();
            throw new MailFailureException(MailErrorClassifier.Classify(replies.Explain(e), side), e);
        }
        catch (OperationCanceledException)
        {
            // Cancelled by the caller: nothing to classify, but the connection is closed.
            client.Dispose();
            throw;
        }
    }

    /// <summary>Connects to the first of <paramref name="addresses"/> that answers, within the connector's timeout.</summary>
    private async Task<Socket> ConnectSocketAsync(IReadOnlyList<IPAddress> addresses, int port, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.Timeout);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), timeout.Token);
                return socket;
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>Logs in with one attempt. MailKit's default tries every SASL mechanism and then LOGIN, so one wrong
    /// password counts as three failures, which is enough to trip Gmail's or Yandex's lockout.</summary>
    private static Task LogInOnceAsync(MailService client, MailAccount account, CancellationToken cancellationToken)
    {
        if (account.Credential == MailCredentialKind.AccessToken)
        {
            // XOAUTH2 whatever the server advertises: Yandex Mail accepts it but leaves AUTH=XOAUTH2 out of its
            // CAPABILITY (https://yandex.ru/support/mail-business/web/security/oauth.html). A refused token gets a
            // "+ <base64 JSON>" continuation; MailKit answers it with an empty line and reads the tagged NO
            // (https://developers.google.com/gmail/imap/xoauth2-protocol#error_response).
            var token = new System.Net.NetworkCredential(account.Login, account.Password.Reveal());
            return client.AuthenticateAsync(new SaslMechanismOAuth2(token), cancellationToken);
        }

        if (client.AuthenticationMechanisms.Contains("PLAIN"))
        {
            var credentials = new System.Net.NetworkCredential(account.Login, account.Password.Reveal());
            return client.AuthenticateAsync(new SaslMechanismPlain(credentials), cancellationToken);
        }

        // Without AUTH=PLAIN: the protocol's own LOGIN (IMAP) or USER/PASS (POP3), once.
        client.AuthenticationMechanisms.Clear();
        return client.AuthenticateAsync(account.Login, account.Password.Reveal(), cancellationToken);
    }

    private void Prepare(MailService client, ServerEndpoint endpoint)
    {
        client.Timeout = (int)Options.Timeout.TotalMilliseconds;
        // MailKit's default (https://github.com/jstedfast/MailKit/blob/master/FAQ.md#invalid-ssl-certificate): a revoked
        // certificate, or one whose revocation cannot be learned, fails validation unless it is the pinned one.
        client.CheckCertificateRevocation = endpoint.CheckCertificateRevocation;
        client.ServerCertificateValidationCallback = (_, certificate, _, errors) =>
            errors == SslPolicyErrors.None
            || (endpoint.TrustedCertificateSha256 is { } trusted && certificate is not null && Sha256(certificate) == trusted);
    }

    private static SecureSocketOptions SocketOptions(TransportSecurity security) => security switch
    {
        TransportSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
        TransportSecurity.StartTls => SecureSocketOptions.StartTls,
        _ => SecureSocketOptions.None,
    };

    /// <summary>The certificate's SHA-256 fingerprint as upper-case hex, the form settings store.</summary>
    public static string Sha256(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData()));
    }

    private IProtocolLogger CreateLogger(MailSide side, string login, string protocol)
    {
        if (Options.ProtocolLogDirectory is not { Length: > 0 } directory)
        {
            return new NullProtocolLogger();
        }

        Directory.CreateDirectory(directory);
        var safeLogin = string.Concat(login.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '@' ? c : '_'));
        var path = Path.Combine(directory, $"{side.ToString().ToLowerInvariant()}-{safeLogin}-{protocol}.log");
        // RedactSecrets replaces LOGIN/AUTHENTICATE arguments with ********: protocol logs never carry passwords.
        return new ProtocolLogger(path, append: true) { RedactSecrets = true };
    }
}
