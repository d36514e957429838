using MailImport.Core;
using MailImport.Core.Sources;

namespace MailImport.Mail.Connections;

/// <summary>Where a server listens and how to reach it safely.</summary>
/// <param name="Host">Host name or IP address.</param>
/// <param name="Port">TCP port.</param>
/// <param name="Security">TLS on connect, STARTTLS, or none.</param>
/// <param name="TrustedCertificateSha256">SHA-256 fingerprint (upper-case hex) of a certificate to accept although it
/// does not validate; null means normal validation only.</param>
public sealed record ServerEndpoint(string Host, int Port, TransportSecurity Security, string? TrustedCertificateSha256 = null)
{
    /// <summary>Whether the certificate's revocation is checked (CRL or OCSP), as MailKit does by default; off only
    /// where the admin chose so for a server whose CA publishes no reachable revocation list.</summary>
    public bool CheckCertificateRevocation { get; init; } = true;

    /// <summary>Connections open at once to one account at this server, for a source whose provider names it; null
    /// for <see cref="ConnectorOptions.ConnectionsPerSourceAccount"/>.</summary>
    public int? ConnectionsPerAccount { get; init; }

    /// <summary>The endpoint of a validated source server.</summary>
    public static ServerEndpoint Of(SourceServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return new(server.Host, server.Port, server.Security, server.TrustedCertificateSha256)
        {
            CheckCertificateRevocation = server.CheckCertificateRevocation,
            ConnectionsPerAccount = SourceLimits.Of(server.Provider, server.Protocol).Connections,
        };
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Host}:{Port} ({Security})";
}

/// <summary>A login at a mail server.</summary>
/// <param name="Login">The login name.</param>
/// <param name="Password">The password, or the OAuth 2.0 access token when <see cref="Credential"/> says so; prints
/// as ***.</param>
public sealed record MailAccount(string Login, Secret Password)
{
    /// <summary>What <see cref="Password"/> holds, and so how the connector logs in.</summary>
    public MailCredentialKind Credential { get; init; } = MailCredentialKind.Password;

    /// <summary>An account that logs in with an OAuth 2.0 access token (SASL XOAUTH2) instead of a password.</summary>
    /// <param name="login">The mailbox's address, the SASL user the token must belong to.</param>
    /// <param name="accessToken">The bearer token; prints as ***.</param>
    public static MailAccount WithAccessToken(string login, Secret accessToken) =>
        new(login, accessToken) { Credential = MailCredentialKind.AccessToken };
}

/// <summary>The kind of secret a <see cref="MailAccount"/> logs in with.</summary>
public enum MailCredentialKind
{
    /// <summary>A password: SASL PLAIN where offered, else the protocol's own LOGIN or USER/PASS.</summary>
    Password,

    /// <summary>An OAuth 2.0 bearer token, sent with SASL XOAUTH2
    /// (https://developers.google.com/gmail/imap/xoauth2-protocol, the form Yandex documents at
    /// https://yandex.ru/support/mail-business/web/security/oauth.html).</summary>
    AccessToken,
}
