using MailKit;
using static MailImport.Mail.Sync.Classified;

namespace MailImport.Mail.Sync;

/// <summary>Brings the destination's flags and keywords up to the source's for the messages a folder has copied.</summary>
/// <remarks>Every flag but \Recent is carried, as imapsync does: \Recent belongs to the session that sees a message
/// first (RFC 3501 section 2.3.2) and cannot be set.</remarks>
internal static class FlagSync
{
    private static readonly IReadOnlySet<string> NoKeywords = new HashSet<string>();

    private static readonly FetchRequest FlagsRequest = new(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags);

    /// <summary>Compares and corrects the flags of every mapped message. With CONDSTORE only what changed since the last
    /// sync is fetched (nothing at all when HIGHESTMODSEQ has not moved); without it every message is compared.</summary>
    /// <param name="source">The source folder, open.</param>
    /// <param name="state">Its cursor: the UID map and the HIGHESTMODSEQ of the last sync.</param>
    /// <param name="target">The destination folder, open.</param>
    /// <param name="modSeqAtOpen">The source's HIGHESTMODSEQ when the folder was opened for this chunk.</param>
    /// <param name="cancellationToken">Cancels the sync.</param>
    /// <returns>How many destination messages had their flags changed.</returns>
    public static async Task<long> SyncAsync(IMailFolder source, FolderCursor state, DestinationFolder target, ulong modSeqAtOpen, CancellationToken cancellationToken)
    {
        var incremental = state.FlagsModSeq > 0 && modSeqAtOpen > 0;
        if (incremental && modSeqAtOpen == state.FlagsModSeq)
        {
            return 0;
        }

        var pairs = state.Map.Pairs().ToList();
        if (pairs.Count == 0)
        {
            return 0;
        }

        var sourceUids = pairs.Select(p => new UniqueId(source.UidValidity, p.Source)).ToList();
        // CHANGEDSINCE (RFC 7162 section 3.1.4.1): the server returns only messages whose flags changed since then.
        var sourceRequest = incremental ? new FetchRequest(FlagsRequest.Items) { ChangedSince = state.FlagsModSeq } : FlagsRequest;
        var sourceFlags = (await OnSource(() => source.FetchAsync(sourceUids, sourceRequest, cancellationToken)))
            .ToDictionary(s => s.UniqueId.Id);
        pairs = pairs.Where(p => sourceFlags.ContainsKey(p.Source)).ToList();
        if (pairs.Count == 0)
        {
            return 0;
        }

        var destinationFlags = (await OnDestination(() => target.Folder.FetchAsync(pairs.Select(p => new UniqueId(target.UidValidity, p.Destination)).ToList(), FlagsRequest, cancellationToken)))
            .ToDictionary(s => s.UniqueId.Id);
        long updated = 0;
        foreach (var ((flags, keywords), uids) in Changes(pairs, sourceFlags, destinationFlags, target))
        {
            var store = new StoreFlagsRequest(StoreAction.Set, flags) { Silent = true };
            if (keywords.Length > 0)
            {
                store.Keywords.UnionWith(keywords.Split('\n'));
            }

            await OnDestination(() => target.Folder.StoreAsync(uids, store, cancellationToken));
            updated += uids.Count;
        }

        return updated;
    }

    /// <summary>The destination messages whose flags differ from their source's, grouped by the flags and keywords
    /// they should have, so each group is one STORE.</summary>
    private static Dictionary<(MessageFlags Flags, string Keywords), List<UniqueId>> Changes(
        List<(uint Source, uint Destination)> pairs,
        Dictionary<uint, IMessageSummary> sourceFlags,
        Dictionary<uint, IMessageSummary> destinationFlags,
        DestinationFolder target)
    {
        var allowAnyKeyword = (target.Folder.PermanentFlags & MessageFlags.UserDefined) != 0;
        var changes = new Dictionary<(MessageFlags Flags, string Keywords), List<UniqueId>>();
        foreach (var (sourceUid, destinationUid) in pairs)
        {
            if (!sourceFlags.TryGetValue(sourceUid, out var wanted) || !destinationFlags.TryGetValue(destinationUid, out var actual))
            {
                continue;
            }

            var flags = (wanted.Flags ?? MessageFlags.None) & ~(MessageFlags.Recent | MessageFlags.UserDefined);
            var keywords = (wanted.Keywords ?? NoKeywords).Where(k => allowAnyKeyword || target.Folder.PermanentKeywords.Contains(k)).Order(StringComparer.Ordinal).ToList();
            var actualFlags = (actual.Flags ?? MessageFlags.None) & ~(MessageFlags.Recent | MessageFlags.UserDefined);
            var actualKeywords = (actual.Keywords ?? NoKeywords).Order(StringComparer.Ordinal).ToList();
            if (flags == actualFlags && keywords.SequenceEqual(actualKeywords, StringComparer.Ordinal))
            {
                continue;
            }

            var key = (flags, string.Join('\n', keywords));
            if (!changes.TryGetValue(key, out var uids))
            {
                changes[key] = uids = [];
            }

            uids.Add(new UniqueId(target.UidValidity, destinationUid));
        }

        return changes;
    }
}
