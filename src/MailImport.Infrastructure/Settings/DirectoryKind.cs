namespace MailImport.Infrastructure.Settings;

/// <summary>Which destination directory creates the mailboxes (MailImport:Directory).</summary>
public enum DirectoryKind
{
    /// <summary>The Yandex 360 Directory API (Azure, and the local host pointed at Yandex).</summary>
    Yandex360,

    /// <summary>A self-hosted Dovecot's passwd-file (the demo and the tests).</summary>
    Dovecot,
}
