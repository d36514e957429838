using MailKit;

namespace MailImport.Mail.Sync;

/// <summary>Reads message identities from an open IMAP folder, on either side of a copy.</summary>
internal static class ImapIdentities
{
    private static readonly FetchRequest Request = new(MessageSummaryItems.UniqueId | MessageSummaryItems.Size)
    {
        Headers = new HeaderSet([MimeKit.HeaderId.MessageId]),
    };

    /// <summary>The identities of the given messages, in UID order; messages gone meanwhile are left out.</summary>
    public static async Task<List<(UniqueId Uid, MessageIdentity Identity)>> FetchAsync(IMailFolder folder, IList<UniqueId> uids, CancellationToken cancellationToken)
    {
        var result = new List<(UniqueId, MessageIdentity)>(uids.Count);
        if (uids.Count == 0)
        {
            return result;
        }

        var summaries = await folder.FetchAsync(uids, Request, cancellationToken);
        foreach (var summary in summaries.OrderBy(s => s.UniqueId.Id))
        {
            var size = (long)(summary.Size ?? 0);
            var messageId = summary.Headers?[MimeKit.HeaderId.MessageId];
            if (!string.IsNullOrWhiteSpace(messageId))
            {
                result.Add((summary.UniqueId, MessageIdentity.FromMessageId(messageId, size)));
                continue;
            }

            // No Message-ID: fall back to the raw header block. BODY.PEEK, so no \Seen is set on either side.
            await using var header = await folder.GetStreamAsync(summary.UniqueId, "HEADER", cancellationToken);
            using var buffer = new MemoryStream();
            await header.CopyToAsync(buffer, cancellationToken);
            result.Add((summary.UniqueId, MessageIdentity.FromHeaderBlock(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), size)));
        }

        return result;
    }

    /// <summary>The UIDs in the open folder at or above <paramref name="lowest"/>.</summary>
    /// <remarks>IMAP's "n:*" always includes the highest message even when its UID is below n (RFC 3501 section 6.4.8), so filter.</remarks>
    public static async Task<IList<UniqueId>> UidsFromAsync(IMailFolder folder, uint lowest, CancellationToken cancellationToken)
    {
        if (folder.Count == 0)
        {
            return [];
        }

        var found = await folder.SearchAsync(MailKit.Search.SearchQuery.Uids(new UniqueIdRange(new UniqueId(Math.Max(1, lowest)), UniqueId.MaxValue)), cancellationToken);
        return found.Where(u => u.Id >= lowest).ToList();
    }
}
