namespace MailImport.Core.Sources;

/// <summary>The protocol MailImport reads the old mailbox with.</summary>
public enum MailProtocol
{
    /// <summary>IMAP: every folder, flags and dates.</summary>
    Imap,
    /// <summary>POP3: the inbox only.</summary>
    Pop3,
}

/// <summary>How the connection to the source is protected.</summary>
public enum TransportSecurity
{
    /// <summary>TLS from the first byte (ports 993 and 995).</summary>
    SslOnConnect,
    /// <summary>A plain connection upgraded with STARTTLS/STLS before login (ports 143 and 110).</summary>
    StartTls,
    /// <summary>No encryption: the password crosses the network in clear text. Only when asked for explicitly.</summary>
    None,
}

/// <summary>Who runs the source server; some providers need special handling (Gmail's label folders).</summary>
public enum SourceProvider
{
    /// <summary>Any other server.</summary>
    Custom,
    /// <summary>Google Gmail / Google Workspace.</summary>
    Gmail,
    /// <summary>Mail.Ru.</summary>
    MailRu,
    /// <summary>Yandex.Mail.</summary>
    Yandex,
    /// <summary>Microsoft Outlook / Office 365.</summary>
    Outlook,
}

/// <summary>A validated source server: everything the mail engine needs to connect.</summary>
/// <param name="Protocol">IMAP or POP3.</param>
/// <param name="Host">Host name or IP address.</param>
/// <param name="Port">TCP port.</param>
/// <param name="Security">How the connection is protected.</param>
/// <param name="Provider">The provider, when a preset named it.</param>
/// <param name="TrustedCertificateSha256">The SHA-256 fingerprint (64 upper-case hex digits) of a certificate the
/// admin trusts although it does not validate; null means the certificate must validate normally.</param>
public sealed record SourceServer(
    MailProtocol Protocol,
    string Host,
    int Port,
    TransportSecurity Security,
    SourceProvider Provider = SourceProvider.Custom,
    string? TrustedCertificateSha256 = null)
{
    /// <summary>Whether the certificate's revocation is checked; true unless the admin switched it off for this source.</summary>
    public bool CheckCertificateRevocation { get; init; } = true;
}
