using MailImport.Core.Sources;
using MailImport.Mail.Connections;
using MailImport.Mail.Sync;

namespace MailImport.Workflow;

/// <summary>Where the destination's IMAP server is: the mailboxes MailImport creates are filled through it.</summary>
public sealed class DestinationOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "MailImport:Destination";

    /// <summary>IMAP host (imap.yandex.ru for Yandex 360).</summary>
    public string ImapHost { get; set; } = "imap.yandex.ru";

    /// <summary>IMAP port.</summary>
    public int ImapPort { get; set; } = 993;

    /// <summary>How the connection is protected.</summary>
    public TransportSecurity Security { get; set; } = TransportSecurity.SslOnConnect;

    /// <summary>SHA-256 fingerprint of a certificate to trust although it does not validate (a local Dovecot).</summary>
    public string? TrustedCertificateSha256 { get; set; }

    /// <summary>The endpoint these settings describe.</summary>
    public ServerEndpoint Endpoint => new(ImapHost, ImapPort, Security, TrustedCertificateSha256?.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant());
}

/// <summary>How hard the workflow pushes, chosen for IMAP servers' connection caps and the Functions timeout.</summary>
public sealed class WorkflowOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "MailImport:Workflow";

    /// <summary>Mailboxes copied at the same time in one batch.</summary>
    public int MaxMailboxesInFlight { get; set; } = 8;

    /// <summary>Connections one source host accepts from us at once (Gmail allows about 15 per account group);
    /// each mailbox in flight holds one.</summary>
    public int ConnectionsPerSourceHost { get; set; } = 15;

    /// <summary>Messages one chunk copies at most.</summary>
    public int ChunkMessages { get; set; } = 2_000;

    /// <summary>Megabytes one chunk copies at most.</summary>
    public int ChunkMegabytes { get; set; } = 256;

    /// <summary>Seconds one chunk runs at most: well inside the Functions timeout (host.json functionTimeout).</summary>
    public int ChunkSeconds { get; set; } = 180;

    /// <summary>Chunks a mailbox orchestration runs before it continues as new, so its history stays small.</summary>
    public int ChunksPerGeneration { get; set; } = 10;

    /// <summary>The schedule of a batch that asks for scheduled re-runs without giving one: daily at 03:00 UTC.</summary>
    public string DefaultSchedule { get; set; } = "0 3 * * *";

    /// <summary>The chunk budget these settings give.</summary>
    public ChunkBudget Budget => new(ChunkMessages, ChunkMegabytes * 1024L * 1024, TimeSpan.FromSeconds(ChunkSeconds));

    /// <summary>Mailboxes in flight for one batch: the smaller of the two limits.</summary>
    public int Concurrency => Math.Max(1, Math.Min(MaxMailboxesInFlight, ConnectionsPerSourceHost));
}
