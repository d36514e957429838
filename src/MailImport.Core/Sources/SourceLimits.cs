namespace MailImport.Core.Sources;

/// <summary>What a provider lets one source account do, where it publishes it: bytes downloaded per window and
/// connections at once. Null where the provider publishes no figure.</summary>
/// <param name="DownloadMegabytes">Megabytes (1,000,000 bytes, the lower reading of a provider's "MB", so a budget
/// never overshoots it) one account may download per budget window.</param>
/// <param name="Connections">Connections one account may hold open at once.</param>
public sealed record SourceLimits(int? DownloadMegabytes, int? Connections)
{
    /// <summary>Bytes in one of <see cref="DownloadMegabytes"/>' megabytes.</summary>
    public const long BytesPerMegabyte = 1_000_000;

    /// <summary>The largest download budget a batch may give, in megabytes (10 TB).</summary>
    public const int MaxDownloadMegabytes = 10_000_000;

    /// <summary>The limits of a provider over a protocol.</summary>
    public static SourceLimits Of(SourceProvider provider, MailProtocol protocol) => provider switch
    {
        // Google Workspace Admin Help, "Gmail bandwidth limits" (https://support.google.com/a/answer/1071518): per
        // account and day, 2,500 MB downloaded over IMAP and 1,250 MB over POP. Gmail Help "Too many simultaneous
        // connections" and its IMAP limits: 15 IMAP connections per account at once.
        SourceProvider.Gmail => protocol == MailProtocol.Imap ? new(2_500, 15) : new(1_250, 15),
        // Exchange's per-user IMAP4/POP3 connection limit defaults to 16 (Set-ImapSettings / Set-PopSettings
        // MaxConnectionsPerUser, https://learn.microsoft.com/exchange/clients/pop3-and-imap4/configure-imap4); Exchange
        // Online publishes no byte budget for IMAP, it throttles with "Suggested Backoff Time" answers instead.
        SourceProvider.Outlook => new(null, 16),
        _ => new(null, null),
    };
}
