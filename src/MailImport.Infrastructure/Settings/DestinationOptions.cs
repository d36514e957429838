using System.ComponentModel.DataAnnotations;
using MailImport.Core.Sources;
using MailImport.Mail.Connections;

namespace MailImport.Infrastructure.Settings;

/// <summary>Where the destination's IMAP server is: the mailboxes MailImport creates are filled through it.</summary>
public sealed class DestinationOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "MailImport:Destination";

    /// <summary>IMAP host (imap.yandex.ru for Yandex 360).</summary>
    [Required(AllowEmptyStrings = false)]
    public string ImapHost { get; set; } = "imap.yandex.ru";

    /// <summary>IMAP port.</summary>
    [Range(1, 65535)]
    public int ImapPort { get; set; } = 993;

    /// <summary>How the connection is protected.</summary>
    [EnumDataType(typeof(TransportSecurity))]
    public TransportSecurity Security { get; set; } = TransportSecurity.SslOnConnect;

    /// <summary>SHA-256 fingerprint of a certificate to trust although it does not validate (a local Dovecot).</summary>
    public string? TrustedCertificateSha256 { get; set; }

    /// <summary>Whether the certificate's revocation is checked (on by default, as in MailKit).</summary>
    public bool CheckCertificateRevocation { get; set; } = true;

    /// <summary>The destination's IMAP hierarchy separator, for the dry run, which runs before any destination mailbox
    /// exists to ask; a copy reads it from the server (NAMESPACE). Yandex Mail lists its folders with "|"
    /// (<c>* LIST (\HasNoChildren) "|" "Archives|2017"</c>, https://github.com/Eden-PHP/Mail/issues/63); Dovecot's
    /// default is ".".</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression(@"^[!-~]$", ErrorMessage = "MailImport:Destination:HierarchySeparator is the destination's IMAP hierarchy separator: one printable ASCII character, such as | (Yandex Mail) or . (Dovecot).")]
    public string HierarchySeparator { get; set; } = "|";

    /// <summary>The endpoint these settings describe.</summary>
    public ServerEndpoint Endpoint => new(ImapHost, ImapPort, Security, TrustedCertificateSha256?.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant())
    {
        CheckCertificateRevocation = CheckCertificateRevocation,
    };
}
