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
    /// <summary>The endpoint of a validated source server.</summary>
    public static ServerEndpoint Of(SourceServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return new(server.Host, server.Port, server.Security, server.TrustedCertificateSha256);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Host}:{Port} ({Security})";
}

/// <summary>A login at a mail server.</summary>
/// <param name="Login">The login name.</param>
/// <param name="Password">The password; prints as ***.</param>
public sealed record MailAccount(string Login, Secret Password);
